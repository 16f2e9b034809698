"""Timer start events: the scheduler starts a new instance at each due time, exactly once.

A process whose start event carries a timer (``timeCycle``
``'R/2025-03-03T08:00:00+08:00/P1D'``, ``'R3/PT1H'``, or a one-off ``timeDate`` /
``timeDuration``) is not started by a person. The scheduler keeps one ``StartTimer`` row per
start event of the **latest** version of each process (``sync_start_timers``; rows of older
versions are retired), claims due rows like instance timers (``services.claims``: ``FOR UPDATE
SKIP LOCKED`` / conditional ``UPDATE``) and, per row in its own transaction, starts the instance
with its start event already fired and moves the row to its next round. Rounds missed while no
scheduler ran are not made up: one instance is started and the row moves to the first round
after now. ``workdaysOnly`` skips the days off of the 工作日历 (weekends, 法定节假日;
调休 weekend workdays count), by Beijing date. The instance's starter is the user named by
the start event's ``starter`` property, else the user who deployed the version.
"""

from __future__ import annotations

import ast
import copy
import logging
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    TimeDateEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.specs.base import TaskSpec
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import and_, select, update
from sqlalchemy.exc import IntegrityError

from engine.definitions import repository
from engine.definitions.models import ProcessDefinition, ProcessVersion
from engine.errors import EngineError
from engine.runtime import runtime, timers
from engine.runtime.models import ProcessInstance
from engine.runtime.wait_models import StartTimer
from services import claims, clock
from services.calendar import days
from services.db import db
from services.errors import NotFound
from services.org import directory

LOCAL_ZONE = ZoneInfo("Asia/Shanghai")
_LIVE = ("pending", "claimed", "failed")
# How far a workdaysOnly timer looks for the next working day (a 春节 is at most ~10 days).
_LOOK_AHEAD = timedelta(days=40)
log = logging.getLogger(__name__)


# ---------------------------------------------------------------------------- rows per version


def start_timer_specs(spec: Any) -> list[Any]:
    """The start events of a process spec that carry a timer."""
    return [
        ts
        for ts in spec.task_specs.values()
        if type(ts).__name__ == "StartEvent"
        and isinstance(getattr(ts, "event_definition", None), TimerEventDefinition)
    ]


def sync_start_timers() -> int:
    """Give the latest version of every process its start-timer rows; retire older versions'.

    A job function (commits). Returns how many rows it created.
    """
    latest = list(
        db.session.scalars(
            select(ProcessVersion).join(
                ProcessDefinition,
                and_(
                    ProcessDefinition.key == ProcessVersion.key,
                    ProcessDefinition.latest_version == ProcessVersion.version,
                ),
            )
        )
    )
    _retire_all_but([version.id for version in latest])
    known = set(db.session.scalars(select(StartTimer.version_id).distinct()))
    created = 0
    for version in latest:
        if version.id not in known:
            created += _create_rows(version)
    return created


def _retire_all_but(version_ids: list[int]) -> None:
    outdated = (StartTimer.status.in_(_LIVE), StartTimer.version_id.not_in(version_ids))
    # Read first: most runs have nothing to retire and need no write lock (SQLite).
    found = db.session.scalars(select(StartTimer.id).where(*outdated).limit(1)).first()
    # End the read: on SQLite a transaction that read a stale snapshot cannot start writing.
    db.session.commit()
    if found is None:
        return
    db.session.execute(
        update(StartTimer)
        .where(*outdated)
        .values(status="retired", claimed_by=None)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def _create_rows(version: ProcessVersion) -> int:
    key, version_id = version.key, version.id
    specs = start_timer_specs(repository.load_spec(version_id).spec)
    db.session.commit()  # end the read before writing (see ``_retire_all_but``)
    if not specs:
        return 0
    for spec in specs:
        db.session.add(_new_row(key, version_id, spec))
    try:
        db.session.commit()
    except IntegrityError:  # another scheduler created them first
        db.session.rollback()
        return 0
    return len(specs)


def _new_row(key: str, version_id: int, spec: Any) -> StartTimer:
    props = dict((getattr(spec, "extensions", None) or {}).get("properties") or {})
    workdays = props.get("workdaysOnly", "").strip().lower() == "true"
    due, interval, cycles = first_round(spec.event_definition, clock.now())
    row = StartTimer(
        process_key=key,
        version_id=version_id,
        task_spec=spec.bpmn_id,
        task_name=str(spec.bpmn_name or spec.bpmn_id),
        due_at=due,
        interval_seconds=interval.total_seconds() if interval else None,
        cycles_left=cycles,
        workdays_only=workdays,
        status="pending",
        attempts=0,
        started_count=0,
        created_at=clock.now(),
    )
    _skip_to_workday(row)
    return row


def first_round(definition: Any, now: datetime) -> tuple[datetime, timedelta | None, int]:
    """Due time, interval and number of rounds of a start timer (expression a literal string).

    A cycle that began in the past starts at its first round from ``now`` on.
    """
    value = str(ast.literal_eval(definition.expression.strip()))
    if isinstance(definition, CycleTimerEventDefinition):
        cycles, start, duration = TimerEventDefinition.parse_iso_recurring_interval(value)
        start = clock.as_utc(start)
        if start < now and duration.total_seconds() > 0:
            missed = int((now - start) / duration)
            start += duration * missed
            if start < now:
                start, missed = start + duration, missed + 1
            cycles = cycles if cycles < 0 else max(cycles - missed, 0)
        return start, duration, cycles
    if isinstance(definition, TimeDateEventDefinition):
        return clock.as_utc(TimerEventDefinition.get_datetime(value)), None, 1
    parsed = TimerEventDefinition.parse_iso_duration(value)
    return now + TimerEventDefinition.get_timedelta_from_start(parsed, start=now), None, 1


# ---------------------------------------------------------------------------- firing


def fire_due_start_timers(limit: int = 100, worker_id: str | None = None) -> int:
    """Start an instance for up to ``limit`` due start timers; returns how many started.

    A job function (commits per row); safe in several processes at once.
    """
    worker = worker_id or claims.default_worker_id()
    now = clock.now()
    # Due is part of the claim condition: a row fired meanwhile is pending again, for later.
    claimable = claims.due_claimable(StartTimer, now, timers.CLAIM_TIMEOUT)
    due = (
        select(StartTimer).where(claimable).order_by(StartTimer.due_at, StartTimer.id).limit(limit)
    )
    ids = claims.claim_rows(StartTimer, due, claimable, worker, now)
    db.session.commit()
    return sum(_fire_one(row_id, worker) for row_id in ids)


def _fire_one(row_id: int, worker: str) -> int:
    try:
        started = _fire(row_id, worker)
        db.session.commit()
        return int(started)
    except Exception as exc:  # one broken start timer must never stop the scheduler loop
        db.session.rollback()
        _record_failure(row_id, exc)
        return 0


def _fire(row_id: int, worker: str) -> bool:
    # Starting with a write takes the row (PostgreSQL row lock, SQLite write lock) for the
    # whole transaction: a worker taking over a stale claim meanwhile waits, then sees it moved.
    owned = db.session.execute(
        update(StartTimer)
        .where(
            StartTimer.id == row_id,
            StartTimer.status == "claimed",
            StartTimer.claimed_by == worker,
        )
        .values(attempts=StartTimer.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    if owned.rowcount != 1:  # type: ignore[attr-defined]
        return False
    row = db.session.scalars(
        select(StartTimer).where(StartTimer.id == row_id).execution_options(populate_existing=True)
    ).one()
    instance = start_from_timer(row)
    row.started_count += 1
    row.last_instance_id = instance.id
    row.last_error, row.attempts = None, 0
    _next_round(row)
    return True


def _next_round(row: StartTimer) -> None:
    """Move the row to its next round after now, or ``done``."""
    row.cycles_left = row.cycles_left - 1 if row.cycles_left > 0 else row.cycles_left
    row.claimed_by = None
    if row.interval_seconds is None or row.cycles_left == 0 or row.interval_seconds <= 0:
        row.status = "done"
        return
    interval, now = timedelta(seconds=row.interval_seconds), clock.now()
    due = clock.as_utc(row.due_at) + interval
    while due <= now and row.cycles_left != 0:  # rounds missed while no scheduler ran
        due += interval
        row.cycles_left = row.cycles_left - 1 if row.cycles_left > 0 else row.cycles_left
    row.due_at, row.status = due, "pending" if row.cycles_left != 0 else "done"
    _skip_to_workday(row)


def _skip_to_workday(row: StartTimer) -> None:
    """Move a ``workdaysOnly`` row round by round until it is due on a working day."""
    if not row.workdays_only or not row.interval_seconds:
        return
    interval = timedelta(seconds=row.interval_seconds)
    due = clock.as_utc(row.due_at)
    first = due.astimezone(LOCAL_ZONE).date()
    calendar = days.window(first, first + _LOOK_AHEAD)
    while not calendar.is_workday(due.astimezone(LOCAL_ZONE).date()):
        if due.astimezone(LOCAL_ZONE).date() >= calendar.last:
            break  # a calendar with no working day for months: leave it to the next round
        due += interval
    row.due_at = due


def _record_failure(row_id: int, exc: Exception) -> None:
    """Back to pending with the error, or ``failed`` after ``timers.MAX_ATTEMPTS`` attempts."""
    error = timers.failure_text(exc)
    log.warning("定时启动 %s 失败：%s", row_id, error)
    timers.write_failure(StartTimer, row_id, error, "定时启动")


def retry_start_timer(row_id: int) -> StartTimer:
    """An admin puts a failed start timer back in the queue (the caller commits)."""
    row = db.session.get(StartTimer, row_id)
    if row is None or row.status != "failed":
        raise NotFound("没有这个失败的定时启动", start_timer_id=row_id)
    row.status, row.attempts, row.claimed_by = "pending", 0, None
    return row


def failed_start_timers() -> list[StartTimer]:
    """Start timers that gave up after their retries, oldest due first."""
    query = select(StartTimer).where(StartTimer.status == "failed").order_by(StartTimer.due_at)
    return list(db.session.scalars(query))


# ---------------------------------------------------------------------------- the new instance


def start_from_timer(row: StartTimer) -> ProcessInstance:
    """Start an instance of ``row``'s version with its timer start event fired (no commit)."""
    loaded = repository.load_spec(row.version_id)
    version = repository.get_version(row.version_id)
    starter = directory.get_user(_starter_id(row, loaded, version))
    data = {"scheduled_at": clock.as_utc(row.due_at).isoformat()}
    step = runtime.new_step(
        loaded, starter, copy.deepcopy(data), process_key=version.key, title=version.name
    )
    mark_start_fired(step.workflow, row.task_spec)
    with db.session.no_autoflush:
        step.log.append(
            "instance_started",
            actor_id=None,
            task_spec=row.task_spec,
            task_name=row.task_name,
            data={"data": data, "start_timer": row.task_spec, "start_timer_id": row.id},
        )
        runtime.run_engine(step)
        runtime.finish(step, [])
    return step.instance


def mark_start_fired(workflow: Any, task_spec: str) -> None:
    """Fire the timer start event ``task_spec`` of a new workflow (runtime and replay)."""
    for task in workflow.get_tasks(state=TaskState.NOT_FINISHED_MASK):
        if task.task_spec.bpmn_id == task_spec:
            task._set_internal_data(event_fired=True)
            if isinstance(task.task_spec.event_definition, CycleTimerEventDefinition):
                # Spiff gives a cycle event no path of its own (each round adds one): here the
                # instance is the round, so it takes the plain path to its outgoing flows.
                TaskSpec._predict_hook(task.task_spec, task)
                for child in task.children:
                    child.task_spec._predict(child, mask=TaskState.NOT_FINISHED_MASK)
            return
    raise EngineError(f"流程中没有计时器开始事件“{task_spec}”", code="start_timer_missing")


def _starter_id(row: StartTimer, loaded: Any, version: ProcessVersion) -> int:
    spec = loaded.spec.task_specs.get(row.task_spec)
    props = dict((getattr(spec, "extensions", None) or {}).get("properties") or {})
    username = (props.get("starter") or "").strip()
    if username:
        user = directory.get_user_by_username(username)
        if user is None or not user.active:
            raise EngineError(f"定时启动的发起人“{username}”不存在或已停用", code="no_starter")
        return user.id
    if version.deployed_by_id is None:
        raise EngineError(
            "定时启动的流程没有发起人：请在开始事件上设置 starter 属性", code="no_starter"
        )
    return version.deployed_by_id
