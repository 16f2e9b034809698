"""The task page's actions besides 提交: 退回, 转办, 加签, 取回 (one engine call each).

Each route checks that the user may see the task; the engine checks that they may act on it
(holder, or the completer for 取回) and answers Forbidden/Conflict in Chinese otherwise.
"""

from __future__ import annotations

from flask import flash, g, redirect, request, url_for
from werkzeug.wrappers import Response

from engine import api
from services.db import db
from services.errors import ValidationFailed
from web.security import login_required
from web.workbench import access, bp
from web.workbench.task import resolve_user


def _reason() -> str:
    reason = request.form.get("reason", "").strip()
    if not reason:
        raise ValidationFailed("请填写理由", errors={"reason": "理由不能为空"})
    return reason


def _done(message: str, task_id: int | None = None) -> Response:
    db.session.commit()
    flash(message, "success")
    if task_id is not None:
        return redirect(url_for("workbench.task_page", task_id=task_id))
    return redirect(url_for("workbench.index"))


@bp.post("/tasks/<int:task_id>/send-back")
@login_required
def send_back(task_id: int) -> Response:
    access.visible_task(task_id, g.user)
    target = request.form.get("target", "")
    api.send_back(task_id, actor_id=g.user.id, target_task_spec=target, reason=_reason())
    return _done("已退回。")


@bp.post("/tasks/<int:task_id>/reassign")
@login_required
def reassign(task_id: int) -> Response:
    access.visible_task(task_id, g.user)
    to_user = resolve_user(request.form.get("user", ""))
    api.reassign_task(task_id, actor_id=g.user.id, to_user_id=to_user, reason=_reason())
    return _done("已转办。")


@bp.post("/tasks/<int:task_id>/add-signer")
@login_required
def add_signer(task_id: int) -> Response:
    access.visible_task(task_id, g.user)
    signer = resolve_user(request.form.get("user", ""))
    position = "after" if request.form.get("position") == "after" else "before"
    api.add_signer(task_id, actor_id=g.user.id, user_id=signer, position=position, reason=_reason())
    return _done("已加签。", task_id)


@bp.post("/tasks/<int:task_id>/withdraw")
@login_required
def withdraw(task_id: int) -> Response:
    task = access.visible_task(task_id, g.user)
    api.withdraw_task(task_id, actor_id=g.user.id)
    db.session.commit()
    flash("已取回。", "success")
    mine = [t for t in access.open_tasks(task.instance_id) if t.assignee_id == g.user.id]
    if mine:
        return redirect(url_for("workbench.task_page", task_id=mine[0].id))
    return redirect(url_for("workbench.index"))
