"""异常处理: open service-task incidents and failed timers across all processes, with retry.

疏通 and 终止 of an instance in 异常 go through the instance routes (``instances``), which
come back here when the form says so.
"""

from __future__ import annotations

from flask import flash, g, redirect, render_template, url_for
from werkzeug.wrappers import Response

from engine import api
from services.audit import log as audit
from services.db import db
from services.org.roles import SYSADMIN
from web.admin_console import bp
from web.security import roles_required


@bp.get("/incidents")
@roles_required(SYSADMIN)
def incidents() -> str:
    return render_template(
        "admin_console/incidents.html",
        incidents=api.list_incidents(),
        failed_timers=api.list_failed_timers(),
    )


@bp.post("/incidents/<int:incident_id>/retry")
@roles_required(SYSADMIN)
def retry_incident(incident_id: int) -> Response:
    view = api.retry_incident(incident_id, admin_id=g.user.id)
    audit.record(
        "incident.retry",
        object_type="engine_incident",
        object_id=incident_id,
        result="success" if not view.open else "failure",
        detail={"instance_id": view.instance_id, "attempts": view.attempts},
    )
    db.session.commit()
    if view.open:
        flash(f"异常 {incident_id} 重试后仍失败：{view.message}", "error")
    else:
        flash(f"异常 {incident_id} 已解决，流程实例 {view.instance_id} 继续运行", "success")
    return redirect(url_for("admin_console.incidents"))


@bp.post("/start-timers/<int:timer_id>/retry")
@roles_required(SYSADMIN)
def retry_start_timer(timer_id: int) -> Response:
    api.retry_failed_timer("start_timer", timer_id)
    audit.record("start_timer.retry", object_type="engine_start_timer", object_id=timer_id)
    db.session.commit()
    flash(f"定时启动 {timer_id} 已重新排队", "success")
    return redirect(url_for("admin_console.incidents"))
