"""收文箱: the unit's incoming documents for its 收发员 (and 办公室主任, leaders), with 签收 and
退文 right from the list, and each 收文's page. The sender's side (status per recipient) is a
section of the 发文 page.

The views live in ``inbox``; importing it here registers the routes on ``bp``.
"""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("shouwen", __name__, url_prefix="/shouwen")

from web.shouwen import inbox, paper, query, register  # noqa: E402, F401
