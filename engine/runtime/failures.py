"""What waits for an administrator besides service incidents: timers that gave up.

Instance timers (``EngineTimer``) and timer start events (``StartTimer``) both become
``failed`` after ``timers.MAX_ATTEMPTS`` attempts. They are listed together, as one shape, for the
incident page and ``oa incidents``; a retry puts the row back in the scheduler's queue.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from engine.runtime import start_timers, timers
from engine.runtime.models import ProcessInstance
from engine.runtime.wait_models import EngineTimer, StartTimer
from services import clock
from services.db import db
from services.errors import NotFound, ValidationFailed

TIMER, START_TIMER = "timer", "start_timer"
LIST_LIMIT = 200


@dataclass(frozen=True)
class FailedTimerView:
    """A failed timer: of an instance (``kind`` timer) or a timer start event (start_timer)."""

    id: int
    kind: str
    process_key: str
    instance_id: int | None
    task_spec: str
    task_name: str
    due_at: datetime
    attempts: int
    last_error: str


def failed_timers() -> list[FailedTimerView]:
    """Failed instance timers, then failed start timers, each oldest due first (capped)."""
    query = (
        select(EngineTimer, ProcessInstance.process_key)
        .join(ProcessInstance, ProcessInstance.id == EngineTimer.instance_id)
        .where(EngineTimer.status == "failed")
        .order_by(EngineTimer.due_at, EngineTimer.id)
        .limit(LIST_LIMIT)
    )
    found = [_view(TIMER, row, key, row.instance_id) for row, key in db.session.execute(query)]
    starts = start_timers.failed_start_timers()[:LIST_LIMIT]
    return found + [_view(START_TIMER, row, row.process_key, None) for row in starts]


def _view(
    kind: str, row: EngineTimer | StartTimer, key: str, instance_id: int | None
) -> FailedTimerView:
    return FailedTimerView(
        id=row.id,
        kind=kind,
        process_key=key,
        instance_id=instance_id,
        task_spec=row.task_spec,
        task_name=row.task_name or row.task_spec,
        due_at=clock.as_utc(row.due_at),
        attempts=row.attempts,
        last_error=row.last_error or "",
    )


def retry_failed_timer(kind: str, row_id: int) -> None:
    """Queue a failed timer of either kind again (the caller checks the role and commits)."""
    if kind == TIMER:
        row = db.session.get(EngineTimer, row_id)
        if row is None or row.status != "failed":
            raise NotFound("没有这个失败的定时器", timer_id=row_id)
        timers.retry_timer(row_id)
    elif kind == START_TIMER:
        start_timers.retry_start_timer(row_id)
    else:
        raise ValidationFailed("未知的定时器类型", errors={"kind": kind})
