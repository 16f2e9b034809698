"""传阅 and 催办 on the pages: circulate an instance, 阅知 (one or a batch), recall, urge a task.

Each route checks that the user may see the object, then one engine call decides the rest. A
refusal the user can fix (nobody chosen, urged too recently ...) comes back as a message on the
page they came from; someone else's ids get the usual 403.
"""

from __future__ import annotations

import re
from typing import Any

from flask import flash, g, redirect, request, url_for
from werkzeug.wrappers import Response

from engine import api
from services.db import db
from services.errors import Conflict, ValidationFailed
from services.org import directory
from web.security import login_required
from web.workbench import access, bp
from web.workbench import history as hist

READING_STATUS = {"unread": "未阅", "read": "已阅", "recalled": "已撤回"}
_SEPARATORS = re.compile(r"[\s,，、;；]+")


def form_ids(name: str) -> list[int]:
    """The integer ids a form posts under ``name`` (picker chips, checkboxes)."""
    values = [v.strip() for v in request.form.getlist(name) if v.strip()]
    if not all(v.isdigit() and len(v) < 10 for v in values):
        raise ValidationFailed("选择的对象有误", errors={name: "请重新选择"})
    return [int(v) for v in values]


def usernames_to_ids(text: str) -> list[int]:
    """登录名 typed in the fallback field (without JavaScript), separated by spaces or commas."""
    ids = []
    for name in (n for n in _SEPARATORS.split(text) if n):
        user = directory.get_user_by_username(name)
        if user is None or not user.active:
            raise ValidationFailed(
                f"找不到人员：{name}", errors={"usernames": "请输入有效的登录名"}
            )
        ids.append(int(user.id))
    return ids


def _back(fallback: str) -> Response:
    target = request.form.get("next", "")
    # Only a path of this site: never an open redirect.
    if not target.startswith("/workbench/") or target.startswith("//"):
        target = fallback
    return redirect(target)


def _refused(exc: ValidationFailed | Conflict, fallback: str) -> Response:
    db.session.rollback()
    flash(exc.message, "error")
    return _back(fallback)


def circulation_context(instance: api.InstanceView, user_id: int) -> dict[str, Any]:
    """What the instance and task pages show of 传阅 and 催办 for this user."""
    readings = api.reading_list(instance.id)
    names = hist.user_names({r.reader_id for r in readings} | {r.sender_id for r in readings})
    mine = [r for r in readings if r.reader_id == user_id and r.status == "unread"]
    return {
        "readings": readings,
        "reading_names": names,
        "reading_status": READING_STATUS,
        "my_unread": mine[0] if mine else None,
        "may_circulate": api.may_circulate(instance.id, user_id),
        "urgeable": set(api.urgeable_tasks(instance.id, user_id)),
    }


@bp.post("/instances/<int:instance_id>/circulate")
@login_required
def circulate(instance_id: int) -> Response:
    access.visible_instance(instance_id, g.user)
    here = url_for("workbench.instance_page", instance_id=instance_id)
    task_id = request.form.get("task_id", type=int)
    if task_id is not None:
        access.visible_task(task_id, g.user)
    try:
        users = form_ids("user_ids") + usernames_to_ids(request.form.get("usernames", ""))
        _, readers = api.circulate(
            instance_id,
            sender_id=g.user.id,
            user_ids=users,
            department_ids=form_ids("department_ids"),
            unit_ids=form_ids("unit_ids"),
            note=request.form.get("note", ""),
            task_id=task_id,
            link=here,
        )
    except (ValidationFailed, Conflict) as exc:
        return _refused(exc, here)
    db.session.commit()
    flash(f"已传阅给 {len(readers)} 人。", "success")
    return _back(here)


@bp.post("/readings/read")
@login_required
def read_items() -> Response:
    inbox = url_for("workbench.index", tab="toread")
    try:
        count = api.read_item(
            form_ids("ids"), reader_id=g.user.id, comment=request.form.get("comment", "")
        )
    except (ValidationFailed, Conflict) as exc:
        return _refused(exc, inbox)
    db.session.commit()
    flash(f"已阅知 {count} 件。" if count else "所选文件均已阅知。", "success")
    return _back(inbox)


@bp.post("/circulations/<int:circulation_id>/recall")
@login_required
def recall(circulation_id: int) -> Response:
    inbox = url_for("workbench.index", tab="started")
    item_ids = form_ids("item_ids") or None
    try:
        count = api.recall_circulation(circulation_id, actor_id=g.user.id, item_ids=item_ids)
    except (ValidationFailed, Conflict) as exc:
        return _refused(exc, inbox)
    db.session.commit()
    flash(f"已撤回 {count} 人的待阅。", "success")
    return _back(inbox)


@bp.post("/tasks/<int:task_id>/urge")
@login_required
def urge(task_id: int) -> Response:
    task = access.task_of_visible_instance(task_id, g.user)
    here = url_for("workbench.instance_page", instance_id=task.instance_id)
    try:
        notified = api.urge_task(
            task_id,
            actor_id=g.user.id,
            message=request.form.get("message", ""),
            link=url_for("workbench.task_page", task_id=task_id),
        )
    except (ValidationFailed, Conflict) as exc:
        return _refused(exc, here)
    db.session.commit()
    flash(f"已催办，已通知 {len(notified)} 人。", "success")
    return _back(here)
