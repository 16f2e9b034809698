"""附件与签名: attachment downloads, 我的签名, and the helpers the task and instance pages use to
list an instance's attachments and signed opinions.

Importing the view modules attaches their routes to ``bp``.
"""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("files", __name__, url_prefix="/files")

from web.files import downloads, listing, signature_page  # noqa: E402, F401
