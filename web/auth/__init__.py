"""Login, logout, password change and first-run setup; loads ``g.user`` for every request."""

from flask import Blueprint

bp = Blueprint("auth", __name__)

from web.auth import hooks, views  # noqa: E402, F401  (routes and hooks register on bp)
