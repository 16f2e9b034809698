"""流程管理 (admin console): 系统管理员 only.

Process definitions and their versions, diffs between versions, deploy and redeploy, the
instances of each version, migration (dry run, then apply) and the instance operations
(挂起 / 恢复 / 终止 / 疏通), and the incident page (service-task incidents, failed timers and
start timers, with retry). Every change goes through engine.api and is audited.
"""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("admin_console", __name__, url_prefix="/admin")

from web.admin_console import incidents, instances, views  # noqa: E402, F401  (routes on bp)
