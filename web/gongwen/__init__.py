"""发文管理: the 发文列表 with where each document waits, the 发文登记本 exports and the document
page with its files and 正文 versions (edit, upload, compare).

The views live in small modules that attach their routes to ``bp``; importing them here is what
registers them.
"""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("gongwen", __name__, url_prefix="/gongwen")

from web.gongwen import analysis, document, monitor, outgoing, qianbao  # noqa: E402, F401
