"""发起流程: the deployed processes, and starting one (then on to my first task)."""

from __future__ import annotations

from flask import flash, g, redirect, render_template, url_for
from werkzeug.wrappers import Response

from engine import api
from engine.definitions import repository
from services.db import db
from web.security import login_required
from web.workbench import access, bp


@bp.get("/start")
@login_required
def start_list() -> str:
    startable = [d for d in repository.list_definitions() if d.manual_start]
    return render_template("workbench/start.html", definitions=startable)


@bp.post("/start/<key>")
@login_required
def start_process(key: str) -> Response:
    instance = api.start_instance_by_hand(key, starter_id=g.user.id)
    db.session.commit()
    mine = [t for t in access.open_tasks(instance.id) if t.assignee_id == g.user.id]
    if mine:
        return redirect(url_for("workbench.task_page", task_id=mine[0].id))
    flash("流程已发起。", "success")
    return redirect(url_for("workbench.instance_page", instance_id=instance.id))
