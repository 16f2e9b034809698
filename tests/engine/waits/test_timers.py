"""Timers as rows: due times from our clock, deadlines, 催办 reminders, failures, retries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from engine import api
from engine.runtime.models import HumanTask, ProcessInstance
from engine.runtime.wait_models import EngineTimer
from services.db import db
from services.notify.models import Notification
from tests.engine.waits.conftest import deploy
from tests.engine.waits.helpers import active_specs, event_kinds, timers_of


def start(people, key: str, **data) -> int:
    view = api.start_instance(key, starter_id=people.starter.id, data=data)
    db.session.commit()
    return view.id


def open_task(instance_id: int) -> HumanTask:
    return db.session.scalars(
        select(HumanTask).where(HumanTask.instance_id == instance_id, HumanTask.active.is_(True))
    ).one()


def test_rows_mirror_the_waiting_timers_with_due_times_from_our_clock(people, frozen_clock) -> None:
    deploy("waits_deadline")
    instance_id = start(people, "waits_deadline", reviewer="li")
    rows = {row.task_spec: row for row in timers_of(instance_id)}
    start_time = frozen_clock.current
    assert rows["deadline"].due_at == start_time + timedelta(days=2)
    assert rows["remind"].due_at == start_time + timedelta(hours=4)
    assert [(r.kind, r.interrupting, r.status) for r in rows.values()] == [
        ("boundary", True, "pending"),
        ("boundary", False, "pending"),
    ]
    assert event_kinds(instance_id).count("timer_scheduled") == 2


def test_completing_the_task_first_cancels_its_timers(people, frozen_clock) -> None:
    deploy("waits_deadline")
    instance_id = start(people, "waits_deadline", reviewer="li")
    api.complete_task(open_task(instance_id).id, actor_id=people.reviewer.id, data={})
    db.session.commit()
    assert {row.status for row in timers_of(instance_id)} == {"cancelled"}
    frozen_clock.advance(days=3)
    assert api.fire_due_timers(worker_id="w1") == 0


def test_reminder_notifies_the_assignee_and_leaves_the_task_open(people, frozen_clock) -> None:
    deploy("waits_deadline")
    instance_id = start(people, "waits_deadline", reviewer="li")
    frozen_clock.advance(hours=3, minutes=59)
    assert api.fire_due_timers(worker_id="w1") == 0
    frozen_clock.advance(minutes=1)
    assert api.fire_due_timers(worker_id="w1") == 1
    notes = list(db.session.scalars(select(Notification)))
    assert [(n.user_id, n.category, n.body) for n in notes] == [
        (people.reviewer.id, "remind", "请尽快办理")
    ]
    assert active_specs(instance_id) == ["approve"]
    statuses = {row.task_spec: row.status for row in timers_of(instance_id)}
    assert statuses == {"remind": "fired", "deadline": "pending"}
    assert event_kinds(instance_id)[-2:] == ["timer_fired", "service_called"]
    # Fired once: moving on does not remind again.
    frozen_clock.advance(hours=10)
    assert api.fire_due_timers(worker_id="w1") == 0


def test_deadline_interrupts_the_task_and_ends_the_instance(people, frozen_clock) -> None:
    deploy("waits_deadline")
    instance_id = start(people, "waits_deadline", reviewer="li")
    frozen_clock.advance(days=2)
    # Both are due now; the reminder fires first (earlier due time), then the deadline.
    assert api.fire_due_timers(worker_id="w1") == 2
    instance = db.session.get(ProcessInstance, instance_id)
    assert instance is not None and instance.status == "completed"
    assert active_specs(instance_id) == []
    task = db.session.scalars(select(HumanTask).where(HumanTask.instance_id == instance_id)).one()
    assert task.status == "cancelled"
    assert "script_run" in event_kinds(instance_id)
    assert api.verify_history(instance_id).ok


@pytest.mark.parametrize(
    ("key", "data", "due"),
    [
        ("waits_pause", {"wait_for": "PT30M"}, timedelta(minutes=30)),
        ("waits_pause", {"wait_for": "P1DT2H"}, timedelta(days=1, hours=2)),
        ("waits_until", {"until": "2025-03-10T08:00:00+08:00"}, timedelta(days=7, hours=-1)),
    ],
)
def test_intermediate_timer_waits_until_our_clock_reaches_it(
    people, frozen_clock, key, data, due
) -> None:
    deploy(key)
    instance_id = start(people, key, **data)
    (row,) = timers_of(instance_id)
    assert (row.kind, row.due_at) == ("intermediate", frozen_clock.current + due)
    assert active_specs(instance_id) == []
    frozen_clock.advance(seconds=due.total_seconds() - 1)
    assert api.fire_due_timers(worker_id="w1") == 0
    frozen_clock.advance(seconds=1)
    assert api.fire_due_timers(worker_id="w1") == 1
    assert active_specs(instance_id) == ["after"]
    assert timers_of(instance_id)[0].fired_at == frozen_clock.current


def test_wall_clock_does_not_fire_a_timer_our_clock_has_not_reached(people, frozen_clock) -> None:
    """The frozen clock is in 2025, long before the wall clock: Spiff alone would fire at once."""
    frozen_clock.current = datetime(2020, 1, 1, tzinfo=UTC)
    deploy("waits_until")
    instance_id = start(people, "waits_until", until="2021-01-01T00:00:00+00:00")
    assert active_specs(instance_id) == []
    assert api.fire_due_timers(worker_id="w1") == 0


def test_a_failing_timer_is_recorded_retried_then_an_incident(people, frozen_clock) -> None:
    deploy("waits_broken")
    instance_id = start(people, "waits_broken", total=10, parts=0)
    frozen_clock.advance(hours=1)
    for attempt in (1, 2, 3):
        assert api.fire_due_timers(worker_id="w1") == 0
        (row,) = timers_of(instance_id)
        assert row.attempts == attempt and "计算" in (row.last_error or "")
    assert row.status == "failed"
    # The instance is as it was: the failed run was rolled back.
    assert "timer_fired" not in event_kinds(instance_id)
    assert api.fire_due_timers(worker_id="w1") == 0  # incidents wait for an admin
    api.retry_timer(row.id)
    db.session.commit()
    assert (timers_of(instance_id)[0].status, timers_of(instance_id)[0].attempts) == ("pending", 0)
    api.fire_due_timers(worker_id="w1")
    assert timers_of(instance_id)[0].attempts == 1


def test_a_timer_of_a_suspended_instance_waits(people, frozen_clock) -> None:
    deploy("waits_pause")
    instance_id = start(people, "waits_pause", wait_for="PT1M")
    instance = db.session.get(ProcessInstance, instance_id)
    assert instance is not None
    instance.status = "suspended"
    db.session.commit()
    frozen_clock.advance(minutes=5)
    assert api.fire_due_timers(worker_id="w1") == 0
    instance.status = "running"
    db.session.commit()
    assert api.fire_due_timers(worker_id="w1") == 1


def test_stale_claims_are_taken_over_and_live_ones_are_not(people, frozen_clock) -> None:
    deploy("waits_pause")
    instance_id = start(people, "waits_pause", wait_for="PT1M")
    frozen_clock.advance(minutes=1)
    (row,) = timers_of(instance_id)
    # A worker claimed the row and died before firing it.
    row.status, row.claimed_by, row.claimed_at = "claimed", "dead", frozen_clock.current
    db.session.commit()
    assert api.fire_due_timers(worker_id="w1") == 0
    frozen_clock.advance(minutes=6)
    assert api.fire_due_timers(worker_id="w1") == 1
    fired = db.session.scalars(select(EngineTimer).execution_options(populate_existing=True)).one()
    assert (fired.status, fired.claimed_by) == ("fired", "w1")


def test_a_failed_reminder_does_not_block_others_and_is_cancelled_with_its_task(
    people, frozen_clock, monkeypatch
) -> None:
    deploy("waits_deadline", "waits_pause")
    broken = start(people, "waits_deadline", reviewer="li")
    healthy = start(people, "waits_pause", wait_for="PT4H")

    def unavailable(*args, **kwargs):
        raise RuntimeError("通知服务不可用")

    monkeypatch.setattr("engine.runtime.timers.send_in_app", unavailable)
    frozen_clock.advance(hours=4)
    assert api.fire_due_timers(worker_id="w1") == 1  # the healthy one still fires
    assert active_specs(healthy) == ["after"]
    for _ in range(2):
        api.fire_due_timers(worker_id="w1")
    remind = next(row for row in timers_of(broken) if row.task_spec == "remind")
    assert (remind.status, remind.attempts) == ("failed", 3)
    assert "通知服务不可用" in (remind.last_error or "")
    api.complete_task(open_task(broken).id, actor_id=people.reviewer.id, data={})
    db.session.commit()
    assert {row.status for row in timers_of(broken)} == {"cancelled"}
