"""Timers as rows, fired by the scheduler exactly once, at the time of OUR clock.

SpiffWorkflow computes and checks timer due times with the wall clock and never wakes up by
itself (trap 4). Three pieces close that:

* **Our clock inside Spiff.** Spiff's timer module reads ``datetime.now``; we point that name at
  a subclass whose ``now`` is ``services.clock.now``, so due times are computed from our clock
  (a ``FrozenClock`` in tests and replays) and never from the wall clock.
* **Rows.** At every save of an instance, ``sync_timers`` upserts one ``EngineTimer`` row per
  waiting timer event (boundary or intermediate catch) with its due time and cancels rows whose
  timer task went away (the activity was completed first, the instance ended).
* **Firing.** ``fire_due_timers`` claims due rows (:mod:`services.claims`: ``FOR UPDATE SKIP
  LOCKED`` on PostgreSQL, a conditional ``UPDATE`` on SQLite) in a short transaction, then per
  row: lock the instance, mark the timer event fired in Spiff, run to the next wait state, save
  through the runtime's ``_finish`` (inbox rows, history ``timer_fired``) and commit. A failure
  is written on the row (attempts, last error) and never stops the loop; after ``MAX_ATTEMPTS``
  the row is ``failed``, an incident an admin retries with ``retry_timer``.

Reminders (催办): a non-interrupting boundary timer leading to a service task ``notify.remind``,
registered here, which sends an in-app notification to the people of the waiting task(s).
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Callable
from datetime import datetime, timedelta, tzinfo
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.specs.event_definitions import timer as spiff_timer
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    TimeDateEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from engine.registry import default_registry
from engine.runtime import incidents, runtime
from engine.runtime.history import ERROR_EVENT, EventLog, open_log
from engine.runtime.locking import lock_instance
from engine.runtime.models import HumanTask, HumanTaskCandidate, ProcessInstance
from engine.runtime.wait_models import EngineTimer
from services import claims, clock
from services.db import db
from services.errors import NotFound
from services.notify.inapp import send_in_app

MAX_ATTEMPTS = 3
# A claimed row whose worker died before firing it is claimable again after this long.
CLAIM_TIMEOUT = timedelta(minutes=5)
# Rows that still follow their timer task: a failed one (an incident) is cancelled too when an
# admin moves the instance on.
_SYNCED_STATUSES = ("pending", "claimed", "failed")
log = logging.getLogger(__name__)
_KINDS = {"BoundaryEvent": "boundary", "IntermediateCatchEvent": "intermediate"}


class _ClockDatetime(datetime):
    """``datetime`` whose ``now`` is our injectable clock (Spiff's timers call ``now``)."""

    @classmethod
    def now(cls, tz: tzinfo | None = None) -> datetime:  # type: ignore[override]
        current = clock.now()
        return current.astimezone(tz) if tz is not None else current


# Spiff's timer module looks ``datetime`` up as a module global at call time.
setattr(spiff_timer, "datetime", _ClockDatetime)  # noqa: B010


# ---------------------------------------------------------------------------- rows at save time


def sync_timers(instance: ProcessInstance, workflow: Any, log: EventLog) -> None:
    """Mirror the workflow's waiting timer events as rows (called at every save, unflushed)."""
    waiting = {str(task.id): task for task in _waiting_timer_tasks(workflow)}
    if not waiting and not _spec_has_timers(workflow):
        return  # no timers in this process: skip the query on the hot path
    rows = db.session.scalars(
        select(EngineTimer).where(
            EngineTimer.instance_id == instance.id, EngineTimer.status.in_(_SYNCED_STATUSES)
        )
    )
    known = set()
    for row in rows:
        known.add(row.spiff_task_id)
        task = waiting.get(row.spiff_task_id)
        if row.status == "fired":
            # Fired just now, in this transaction; a cycle timer still waiting is re-armed.
            if task is not None:
                _rearm(row, task, log)
            continue
        if task is None:
            row.status, row.claimed_by = "cancelled", None
        else:
            row.due_at = _due_at(task)
    for spiff_id, task in waiting.items():
        if spiff_id not in known:
            db.session.add(_new_row(instance, task))
            log.append(
                "timer_scheduled",
                task_spec=task.task_spec.bpmn_id,
                task_name=runtime.task_name(task),
                data={"due_at": _due_at(task).isoformat()},
            )


def _rearm(row: EngineTimer, task: Any, log: EventLog) -> None:
    """A cycle timer (``R/...``) waits for its next round: its row is due again."""
    row.status, row.claimed_by, row.attempts = "pending", None, 0
    row.due_at = _due_at(task)
    log.append(
        "timer_scheduled",
        task_spec=row.task_spec,
        task_name=row.task_name,
        data={"due_at": clock.as_utc(row.due_at).isoformat(), "cycle": True},
    )


def _waiting_timer_tasks(workflow: Any) -> list[Any]:
    """Timer events waiting for their time (a cycle whose rounds are all done is not)."""
    return [
        task
        for task in workflow.event_manager.tasks.values()
        if isinstance(task.task_spec.event_definition, TimerEventDefinition)
        and task.state == TaskState.WAITING
        and not task._get_internal_data("event_fired", False)
    ]


_has_timers: weakref.WeakKeyDictionary[Any, bool] = weakref.WeakKeyDictionary()


def _spec_has_timers(workflow: Any) -> bool:
    """Whether any task spec of the process (or its subprocesses) is a timer event; cached."""
    spec = workflow.spec
    found = _has_timers.get(spec)
    if found is None:
        specs = [spec, *workflow.subprocess_specs.values()]
        found = any(
            isinstance(getattr(ts, "event_definition", None), TimerEventDefinition)
            for process in specs
            for ts in process.task_specs.values()
        )
        _has_timers[spec] = found
    return found


def _new_row(instance: ProcessInstance, task: Any) -> EngineTimer:
    spec = task.task_spec
    return EngineTimer(
        instance_id=instance.id,
        spiff_task_id=str(task.id),
        task_spec=spec.bpmn_id or spec.name,
        task_name=runtime.task_name(task),
        kind=_KINDS.get(type(spec).__name__, type(spec).__name__.lower()[:20]),
        interrupting=bool(getattr(spec, "cancel_activity", True)),
        due_at=_due_at(task),
        status="pending",
        attempts=0,
        created_at=clock.now(),
    )


def _due_at(task: Any) -> datetime:
    """The due time Spiff computed (with our clock) for a waiting timer task."""
    value = task.internal_data.get("event_value")
    definition = task.task_spec.event_definition
    if isinstance(value, dict):  # cycle timers keep their next occurrence
        return clock.as_utc(datetime.fromisoformat(value["next"]))
    if isinstance(definition, TimeDateEventDefinition):
        parsed: datetime = TimerEventDefinition.parse_time_or_duration(value)
        return parsed
    return TimerEventDefinition.get_datetime(value)


# ---------------------------------------------------------------------------- firing


def fire_due_timers(limit: int = 100, worker_id: str | None = None) -> int:
    """Fire up to ``limit`` due timers, committing per timer; returns how many fired.

    A job function: it owns its transactions. Safe to run in several processes at once.
    """
    worker = worker_id or claims.default_worker_id()
    fired = 0
    for timer_id, instance_id in claim_due_timers(limit, worker):
        fired += _fire_one(timer_id, instance_id, worker)
    return fired


def claim_due_timers(limit: int, worker: str) -> list[tuple[int, int]]:
    """Mark up to ``limit`` due rows as claimed by ``worker`` and commit; returns
    ``(timer id, instance id)`` pairs."""
    now = clock.now()
    # Due is part of the claim condition: a cycle timer fired meanwhile is pending again, later.
    claimable = claims.due_claimable(EngineTimer, now, CLAIM_TIMEOUT)
    due = (
        select(EngineTimer)
        .join(ProcessInstance, ProcessInstance.id == EngineTimer.instance_id)
        .where(claimable, ProcessInstance.status == "running")
        .order_by(EngineTimer.due_at, EngineTimer.id)
        .limit(limit)
    )
    ids = claims.claim_rows(EngineTimer, due, claimable, worker, now)
    pairs = db.session.execute(
        select(EngineTimer.id, EngineTimer.instance_id)
        .where(EngineTimer.id.in_(ids))
        .order_by(EngineTimer.due_at, EngineTimer.id)
    ).all()
    db.session.commit()
    return [(timer_id, instance_id) for timer_id, instance_id in pairs]


def _fire_one(timer_id: int, instance_id: int, worker: str) -> int:
    try:
        fired = _fire(timer_id, instance_id, worker)
        db.session.commit()
        return int(fired)
    except Exception as exc:  # one broken timer must never stop the scheduler loop
        db.session.rollback()
        _record_failure(timer_id, exc)
        return 0


def _fire(timer_id: int, instance_id: int, worker: str) -> bool:
    # The instance lock comes first, as in every other change of an instance: no deadlock with
    # a completion that cancels this timer's row.
    instance = lock_instance(instance_id)
    row = db.session.scalars(
        select(EngineTimer)
        .where(EngineTimer.id == timer_id)
        .execution_options(populate_existing=True)
    ).one()
    # Under the instance lock: a row cancelled or taken over meanwhile is not ours to fire.
    if row.status != "claimed" or row.claimed_by != worker or instance.status != "running":
        return False
    if clock.as_utc(row.due_at) > clock.now():
        # Spiff fires every due timer of an instance whenever it runs: a round of this cycle
        # timer went out meanwhile (another timer of the instance fired first) and moved it on.
        row.status, row.claimed_by = "pending", None
        return False
    open_rows = runtime.open_rows(instance.id)
    with db.session.no_autoflush:
        step = runtime.load(instance)
        task = step.workflow.get_task_from_id(UUID(row.spiff_task_id))
        if task is None or task.state != TaskState.WAITING:
            row.status, row.claimed_by = "cancelled", None
            return False
        _mark_fired(step, task, row)
        # A failing service rolls the firing back, to be retried from this timer's row.
        with incidents.propagating():
            runtime.run_engine(step)
        runtime.finish(step, open_rows)
    return True


def _mark_fired(step: Any, task: Any, row: EngineTimer) -> None:
    """Record the firing and tell Spiff the timer event happened now."""
    step.log.append(
        "timer_fired",
        task_spec=row.task_spec,
        task_name=row.task_name,
        data={"timer_id": row.id, "due_at": clock.as_utc(row.due_at).isoformat()},
    )
    fire_task(step.workflow, task)
    row.status, row.fired_at, row.attempts = "fired", clock.now(), row.attempts + 1


def fire_task(workflow: Any, task: Any) -> None:
    """Fire a waiting timer task now, whatever its stored due time says (runtime and replay).

    A cycle timer (``R/...``) starts one more round of its outgoing path and keeps waiting for
    the next; any other timer event completes.
    """
    definition = task.task_spec.event_definition
    if isinstance(definition, CycleTimerEventDefinition):
        # Spiff starts a round only once the due time is strictly past: look from just after it.
        moment = max(clock.now(), _due_at(task) + timedelta(microseconds=1))
        with clock.thread_clock(lambda: moment):
            task.task_spec._update(task)
    else:
        task._set_internal_data(event_fired=True)
    workflow.refresh_timers()


def _record_failure(timer_id: int, exc: Exception) -> None:
    """Write the error on the row: back to pending, or ``failed`` (an incident) at the limit."""
    error = failure_text(exc)
    log.warning("定时器 %s 触发失败：%s", timer_id, error)
    write_failure(
        EngineTimer, timer_id, error, "定时器", then=lambda: _record_error_event(timer_id)
    )


def failure_text(exc: Exception) -> str:
    """What a failed firing writes on its row: the engine's message, else the exception."""
    return str(getattr(exc, "message", None) or f"{type(exc).__name__}: {exc}")


def write_failure(
    model: Any, row_id: int, error: str, what: str, *, then: Callable[[], None] | None = None
) -> None:
    """Write a failed firing on a claimed row (timers, start timers), run ``then``, commit.

    The row is ``failed`` (an incident) after ``MAX_ATTEMPTS``, else pending again. A database
    error is logged as the failure of ``what`` and never raised: the scheduler loop goes on.
    """
    try:
        claims.release_after_failure(model, row_id, error, MAX_ATTEMPTS)
        if then is not None:
            then()
        db.session.commit()
    except SQLAlchemyError:
        db.session.rollback()
        log.exception("无法记录%s %s 的失败", what, row_id)


def _record_error_event(timer_id: int) -> None:
    """A timer that just gave up leaves an ``error`` event in its instance's history."""
    row = db.session.scalars(
        select(EngineTimer)
        .where(EngineTimer.id == timer_id)
        .execution_options(populate_existing=True)
    ).first()
    if row is None or row.status != "failed":
        return
    instance = lock_instance(row.instance_id)
    open_log(instance).append(
        ERROR_EVENT,
        task_spec=row.task_spec,
        task_name=row.task_name,
        data={
            "source": "timer",
            "timer_id": row.id,
            "message": f"定时器“{row.task_name}”触发 {row.attempts} 次均失败：{row.last_error}",
            "attempts": row.attempts,
        },
    )


def retry_timer(timer_id: int) -> EngineTimer:
    """An admin puts a failed timer back in the queue (the caller commits)."""
    row = db.session.get(EngineTimer, timer_id)
    if row is None:
        raise NotFound("定时器不存在", timer_id=timer_id)
    row.status, row.attempts, row.claimed_by = "pending", 0, None
    return row


# ---------------------------------------------------------------------------- 催办 service


def remind(message: str = "", task: str = "", *, context: dict[str, Any]) -> dict[str, Any]:
    """催办: notify the assignee (or candidates) of the instance's waiting task(s).

    ``task`` narrows it to one task spec id; ``message`` is the notification body.
    """
    query = select(HumanTask).where(
        HumanTask.instance_id == context["instance_id"], HumanTask.active.is_(True)
    )
    if task:
        query = query.where(HumanTask.task_spec == task)
    reminded: list[int] = []
    for row in db.session.scalars(query):
        users = [row.assignee_id] if row.assignee_id is not None else _candidate_ids(row.id)
        send_in_app(users, "remind", f"催办：{row.name}（{row.title}）", message)
        reminded.extend(users)
    return {"reminded": reminded}


def _candidate_ids(task_id: int) -> list[int]:
    return list(
        db.session.scalars(
            select(HumanTaskCandidate.user_id).where(HumanTaskCandidate.task_id == task_id)
        )
    )


default_registry.register(
    "notify.remind",
    remind,
    params={"message": str, "task": str},
    description="催办：向等待中任务的办理人发送站内通知",
    with_context=True,
)
