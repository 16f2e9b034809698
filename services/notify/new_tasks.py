"""New-task notifications (新待办): e-mail and SMS for the users who chose them.

``queue_new_tasks`` runs inside the engine's transaction every time human-task rows are created,
so its cost matters more than anything else in this package.

The in-app signal of a new task is the to-do count (待办) of the portal and the workbench, which
read the task table itself. No bell notification is written for it: it would count the same
thing twice, stay unread after the task is done, and cost an INSERT per task and user on the
hottest path (an 82-unit 分发 creates hundreds of tasks). So the users who chose no external
channel for 新待办 (the default) cost one indexed SELECT for the whole call, and no write; none
when the caller read the choice already (``NewTask.choosers``, ``chooses_new_task_notices``).

For the users who chose e-mail or SMS, a ``Notification`` (category ``task``, link
``/workbench/tasks/<id>``) is written *already read*: the outbox row needs it (it is what was
sent, listed under the bell), but the unread badge stays the same for every user.
``outbox.enqueue`` then queues the deliveries: quiet hours respected, 特急/加急 tasks sent at
once when the user allowed urgent ones through.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnExpressionArgument, Exists, bindparam, select

from services import clock
from services.config import current_settings
from services.db import db
from services.notify import outbox
from services.notify.models import Notification, NotifyPreference

CATEGORY = "task"  # KIND_OF_CATEGORY maps it to the kind "new_task"


@dataclass(frozen=True)
class NewTask:
    """A human task just created, and who may do it."""

    task_id: int
    user_ids: tuple[int, ...]  # the assignee, or the explicit candidate users
    title: str  # e.g. "新待办：领导批示（关于…的通知）"
    urgent: bool = False  # 特急/加急: may bypass quiet hours, per the user's setting
    # Those of ``user_ids`` who chose e-mail/SMS for new tasks, when the caller read it already
    # (the engine reads it with the assignee's delegation rules: ``chooses_new_task_notices``);
    # None: ``queue_new_tasks`` looks it up.
    choosers: frozenset[int] | None = None


def queue_new_tasks(tasks: Sequence[NewTask]) -> int:
    """Queue the e-mail/SMS deliveries of new tasks for the users who chose them; returns how
    many outbox rows were queued. Adds to the caller's transaction; the caller commits."""
    unknown = {user for task in tasks if task.choosers is None for user in task.user_ids}
    choosers = _choosers(unknown) if unknown else set()
    for task in tasks:
        choosers |= task.choosers or frozenset()
    if not choosers:
        return 0  # the common case: one SELECT at most, nothing written
    now, link_base = clock.now(), current_settings().notify_link_base
    groups: dict[bool, list[Notification]] = {False: [], True: []}
    for task in tasks:
        for user_id in dict.fromkeys(task.user_ids):
            if user_id in choosers:
                groups[task.urgent].append(_notification(task, user_id, now, link_base))
    db.session.add_all(groups[False] + groups[True])
    return sum(outbox.enqueue(rows, urgent=urgent) for urgent, rows in groups.items() if rows)


# Built once, plain column, expanding IN: it runs on every step that creates tasks, and
# building and keying an ORM statement there cost more than the indexed lookup itself.
_CHOOSERS = select(NotifyPreference.user_id).where(
    NotifyPreference.user_id.in_(bindparam("user_ids", expanding=True)),
    NotifyPreference.new_task != "",
)


def chooses_new_task_notices(user_id: ColumnExpressionArgument[int]) -> Exists:
    """SQL: whether the user ``user_id`` (a column) chose an external channel for new tasks.

    For callers that read it along with something else in one statement (``NewTask.choosers``).
    """
    return (
        select(NotifyPreference.user_id)
        .where(NotifyPreference.user_id == user_id, NotifyPreference.new_task != "")
        .exists()
    )


def _choosers(user_ids: Collection[int]) -> set[int]:
    """The users among ``user_ids`` who chose an external channel for new tasks (by primary
    key: one indexed SELECT)."""
    params = {"user_ids": sorted(user_ids)}
    return set(db.session.connection().execute(_CHOOSERS, params).scalars())


def _notification(task: NewTask, user_id: int, now: datetime, link_base: str) -> Notification:
    link = f"/workbench/tasks/{task.task_id}"
    return Notification(
        user_id=user_id,
        category=CATEGORY,
        title=task.title[:200],
        body=f"请登录平台办理：{link_base.rstrip('/')}{link}",
        link=link,
        created_at=now,
        read_at=now,
    )
