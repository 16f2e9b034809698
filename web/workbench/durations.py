"""各环节用时: how long each step of an instance took, or has waited so far, and by whom."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from engine import api
from services import clock
from web.workbench import history as hist

# A step that ended without being done (退回 past it, 取回, termination) is "cancelled".
STATE_LABELS = {"completed": "已办理", "cancelled": "已取消"}


@dataclass(frozen=True)
class StepTime:
    """One step as the table shows it; ``took`` is the time so far for an open step."""

    name: str
    who: str
    started: datetime
    ended: datetime | None
    took: timedelta
    state: str
    overdue: bool


def step_times(instance_id: int) -> list[StepTime]:
    """Every human step of the instance, oldest first, with its duration."""
    tasks = api.instance_tasks(instance_id)
    names = hist.user_names({t.completed_by_id or t.assignee_id for t in tasks})
    now = clock.now()
    return [_step(task, names, now) for task in tasks]


def _step(task: api.TaskView, names: dict[int, str], now: datetime) -> StepTime:
    person = task.completed_by_id or task.assignee_id
    ended = task.completed_at
    finished_by = ended or now
    late = task.due_at is not None and clock.as_utc(task.due_at) < clock.as_utc(finished_by)
    state = "办理中" if ended is None else STATE_LABELS.get(task.status, task.status)
    return StepTime(
        name=task.name,
        who=names.get(person, "") if person else "待签收",
        started=task.created_at,
        ended=ended,
        took=clock.as_utc(finished_by) - clock.as_utc(task.created_at),
        state=state,
        overdue=late,
    )
