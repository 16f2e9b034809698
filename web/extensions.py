"""Flask extensions, created unbound and attached in the factory with ``init_app``."""

from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()
