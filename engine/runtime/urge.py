"""催办 by hand: someone waiting on an open task reminds its holder.

Who may urge: the starter of the instance, whoever completed a task of it before the open task
arrived (the holder's predecessors), and the staff of the 办公室 of the instance's unit. The
holder (or, for a group task, its candidates) gets an in-app notification; the urge is recorded
in the instance history (``task_urged``) and a task is urged at most once per ``URGE_INTERVAL``.
Reminders by timer are the ``notify.remind`` service task (``timers``).
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import exists, select

from engine.runtime.history import open_log
from engine.runtime.locking import lock_instance
from engine.runtime.models import HumanTask, HumanTaskCandidate, InstanceEvent, ProcessInstance
from services import clock
from services.db import db
from services.errors import Conflict, Forbidden, NotFound, ValidationFailed
from services.notify.inapp import send_in_app
from services.org import directory

URGE_INTERVAL = timedelta(hours=1)
MAX_MESSAGE = 300
DEFAULT_MESSAGE = "请尽快办理。"
NOT_ALLOWED = "只有发起人、上一环节办理人或本单位办公室可以催办"


def may_urge(row: HumanTask, instance: ProcessInstance, user_id: int) -> bool:
    """Whether ``user_id`` may urge the open task ``row`` (never its own holder)."""
    if user_id == row.assignee_id:
        return False
    if instance.starter_id == user_id or _is_predecessor(row, user_id):
        return True
    if instance.starter_unit_id is None:
        return False
    return any(u.id == user_id for u in directory.office_staff(instance.starter_unit_id))


def _is_predecessor(row: HumanTask, user_id: int) -> bool:
    stmt = select(
        exists().where(
            HumanTask.instance_id == row.instance_id,
            HumanTask.completed_by_id == user_id,
            HumanTask.completed_at <= row.created_at,
        )
    )
    return bool(db.session.scalar(stmt))


def urge(task_id: int, actor_id: int, message: str = "", *, link: str | None = None) -> list[int]:
    """催办 an open task: notify its holder (or candidates); returns the notified user ids.

    Refused (Conflict, in Chinese) when the task was already urged within ``URGE_INTERVAL``.
    """
    message = message.strip() or DEFAULT_MESSAGE
    if len(message) > MAX_MESSAGE:
        raise ValidationFailed("催办内容过长", errors={"message": f"不能超过 {MAX_MESSAGE} 个字符"})
    row = db.session.get(HumanTask, task_id)
    if row is None:
        raise NotFound("待办任务不存在", task_id=task_id)
    instance = lock_instance(row.instance_id)
    db.session.refresh(row)
    if not row.active or instance.status != "running":
        raise Conflict("该任务已办理或流程未在运行，无需催办", task_id=task_id)
    if not may_urge(row, instance, actor_id):
        raise Forbidden(NOT_ALLOWED, task_id=task_id)
    _check_interval(instance.id, row.id)
    users = [row.assignee_id] if row.assignee_id is not None else _candidate_ids(row.id)
    send_in_app(users, "urge", f"催办：{row.name}（{row.title}）"[:200], message, link)
    open_log(instance).append(
        "task_urged",
        actor_id=actor_id,
        task_spec=row.task_spec,
        task_name=row.name,
        data={"task_id": row.id, "to_user_ids": users, "message": message},
    )
    instance.updated_at = clock.now()
    return users


def _check_interval(instance_id: int, task_id: int) -> None:
    since = clock.now() - URGE_INTERVAL
    query = (
        select(InstanceEvent)
        .where(
            InstanceEvent.instance_id == instance_id,
            InstanceEvent.kind == "task_urged",
            InstanceEvent.at > since,
        )
        .order_by(InstanceEvent.seq.desc())
    )
    for event in db.session.scalars(query):
        if event.data.get("task_id") == task_id:
            wait = clock.as_utc(event.at) + URGE_INTERVAL - clock.now()
            minutes = max(1, -(-int(wait.total_seconds()) // 60))
            raise Conflict(f"该任务一小时内已催办过，请 {minutes} 分钟后再催办", task_id=task_id)


def _candidate_ids(task_id: int) -> list[int]:
    query = select(HumanTaskCandidate.user_id).where(HumanTaskCandidate.task_id == task_id)
    return list(db.session.scalars(query))


def urgeable_task_ids(instance_id: int, user_id: int) -> list[int]:
    """The instance's open tasks that ``user_id`` may urge (for the pages' buttons)."""
    instance = db.session.get(ProcessInstance, instance_id)
    if instance is None or instance.status != "running":
        return []
    rows = db.session.scalars(
        select(HumanTask)
        .where(HumanTask.instance_id == instance_id, HumanTask.active.is_(True))
        .order_by(HumanTask.id)
    )
    return [row.id for row in rows if may_urge(row, instance, user_id)]
