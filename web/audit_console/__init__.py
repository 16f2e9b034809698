"""The audit console: 审计管理员 only. Read, filter, verify, replay and export; nothing deletes.

``log_views``: the platform audit log. ``events``: engine events across instances (流程审计).
``instances``: one instance's chain check, replay and step-by-step data.
"""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("audit_console", __name__, url_prefix="/audit")

from web.audit_console import events, instances, log_views  # noqa: E402, F401  (routes on bp)
