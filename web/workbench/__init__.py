"""工作台: the inbox (待办中心), starting processes, task pages and instance views.

The views live in small modules that attach their routes to ``bp``; importing them here is what
registers them.
"""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("workbench", __name__, url_prefix="/workbench")

from web.workbench import (  # noqa: E402, F401
    circulation,
    delegations,
    inbox,
    instance,
    operations,
    start,
    task,
    vendor,
)
