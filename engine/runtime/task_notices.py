"""新待办 notices: tell the people of a new human task by the e-mail/SMS they chose.

Called where a task gets a new holder: a row created by the engine (``task_rows.create_row``,
batched per step so a step costs one preference query at most; none when every new task has a
single holder, whose choice ``delegation.redirect`` read with the 委托 rules), a 加签 signer row
that is open at once, and a 转办. The deliveries are queued in the same transaction as the task
(``services.notify``), so a task and its notice exist together or not at all.
"""

from __future__ import annotations

from collections.abc import Sequence

from services.notify.new_tasks import NewTask, queue_new_tasks

# Stored 紧急程度 codes whose notices may pass the user's quiet hours (if the user allows it).
URGENT = frozenset({"urgent", "very_urgent"})


def notice(
    task_id: int,
    name: str,
    title: str | None,
    urgency: str | None,
    users: Sequence[int],
    *,
    choosers: frozenset[int] | None = None,
) -> NewTask:
    """The notice of one new task for ``users`` (the assignee, or the candidates).

    ``choosers``: those of ``users`` who chose e-mail/SMS, when already read (``delegation``).
    """
    subject = f"新待办：{name}（{title}）" if title else f"新待办：{name}"
    urgent = (urgency or "") in URGENT
    return NewTask(task_id, tuple(users), subject, urgent=urgent, choosers=choosers)


def send(notices: Sequence[NewTask]) -> int:
    """Queue the notices' deliveries in the caller's transaction; returns how many."""
    return queue_new_tasks(notices) if notices else 0
