"""Who may see or act on which task and instance.

A task is visible to its assignee, its candidates (group task), the user it was delegated from and
whoever completed it. An instance is visible to its starter, to anyone who had a task in it, to
holders of a supervising role and to the people it was circulated to (传阅, read-only). Everyone
else gets the same 403, whether or not the id exists, so that guessing ids leaks nothing.
"""

from __future__ import annotations

from sqlalchemy import exists, select

from engine import api
from engine.runtime.inbox import task_view
from engine.runtime.models import HumanTask, HumanTaskCandidate
from services.db import db
from services.errors import Forbidden, NotFound
from services.org.models import User
from services.org.roles import SYSADMIN

# Roles that supervise every instance (the instance view is read-only for them).
SUPERVISOR_ROLES = frozenset({SYSADMIN})
TASK_FORBIDDEN = "您无权查看该任务。"
INSTANCE_FORBIDDEN = "您无权查看该流程实例。"


def is_candidate(task_id: int, user_id: int) -> bool:
    """Whether the user is one of the task's candidates (may 签收 it)."""
    stmt = select(
        exists().where(HumanTaskCandidate.task_id == task_id, HumanTaskCandidate.user_id == user_id)
    )
    return bool(db.session.scalar(stmt))


def may_view_task(task: api.TaskView, user_id: int) -> bool:
    """Assignee, candidate, the delegating user or the completer."""
    row = db.session.get(HumanTask, task.id)
    delegated_from = row.delegated_from_id if row is not None else None
    if user_id in (task.assignee_id, task.completed_by_id, delegated_from):
        return True
    return is_candidate(task.id, user_id)


def visible_task(task_id: int, user: User) -> api.TaskView:
    """The task if ``user`` may see it; Forbidden (also for unknown ids) otherwise."""
    try:
        task = api.get_task(task_id)
    except NotFound as exc:
        raise Forbidden(TASK_FORBIDDEN) from exc
    if not may_view_task(task, user.id):
        raise Forbidden(TASK_FORBIDDEN, task_id=task_id)
    return task


def is_supervisor(user: User) -> bool:
    """Holders of a supervising role see every instance."""
    return any(role.role_code in SUPERVISOR_ROLES for role in user.roles)


def visible_instance(instance_id: int, user: User) -> api.InstanceView:
    """The instance if ``user`` may see it; Forbidden (also for unknown ids) otherwise."""
    try:
        instance = api.get_instance(instance_id)
    except NotFound as exc:
        raise Forbidden(INSTANCE_FORBIDDEN) from exc
    if not (
        api.takes_part(instance_id, user.id)
        or is_supervisor(user)
        or api.is_reader(instance_id, user.id)  # 传阅: readers view it read-only
    ):
        raise Forbidden(INSTANCE_FORBIDDEN, instance_id=instance_id)
    return instance


def open_tasks(instance_id: int) -> list[api.TaskView]:
    """The instance's tasks still waiting for someone, oldest first."""
    rows = db.session.scalars(
        select(HumanTask)
        .where(HumanTask.instance_id == instance_id, HumanTask.active.is_(True))
        .order_by(HumanTask.id)
    )
    return [task_view(row) for row in rows]


def candidate_count(task_id: int) -> int:
    """How many people may 签收 a group task."""
    rows = db.session.scalars(
        select(HumanTaskCandidate.user_id).where(HumanTaskCandidate.task_id == task_id)
    )
    return len(list(rows))


def task_of_visible_instance(task_id: int, user: User) -> api.TaskView:
    """A task whose instance ``user`` may see (催办 from the instance page); Forbidden else."""
    try:
        task = api.get_task(task_id)
    except NotFound as exc:
        raise Forbidden(TASK_FORBIDDEN) from exc
    try:
        visible_instance(task.instance_id, user)
    except Forbidden as exc:
        raise Forbidden(TASK_FORBIDDEN, task_id=task_id) from exc
    return task
