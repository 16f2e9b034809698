"""Cycle boundary timers (R/...): 催办 every day until the task is done, exactly once per round."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import func, select

from engine import api
from engine.runtime.models import HumanTask, InstanceEvent
from services.db import db
from services.notify.models import Notification
from tests.engine.timers.conftest import deploy
from tests.engine.timers.helpers import run_in_two_threads
from tests.engine.waits.helpers import active_specs, event_kinds, timers_of


def start(people, cycle: str = "R/P1D") -> int:
    data = {"reviewer": "li", "urge_cycle": cycle}
    view = api.start_instance("timers_urge_daily", starter_id=people.starter.id, data=data)
    db.session.commit()
    return view.id


def reminders() -> int:
    return db.session.scalar(select(func.count()).select_from(Notification)) or 0


def complete(instance_id: int, people) -> None:
    row = db.session.scalars(
        select(HumanTask).where(HumanTask.instance_id == instance_id, HumanTask.active.is_(True))
    ).one()
    api.complete_task(row.id, actor_id=people.reviewer.id, data={})
    db.session.commit()


def test_a_daily_reminder_repeats_until_the_task_is_done(people, frozen_clock) -> None:
    deploy("timers_urge_daily")
    instance_id = start(people)
    (row,) = timers_of(instance_id)
    assert row.due_at == frozen_clock.current.replace(day=4)
    fired = []
    for _ in range(3):
        frozen_clock.advance(hours=23, minutes=59)
        fired.append(api.fire_due_timers(worker_id="w1"))  # not yet
        frozen_clock.advance(minutes=1)
        fired.append(api.fire_due_timers(worker_id="w1"))
    assert fired == [0, 1] * 3
    assert reminders() == 3
    assert active_specs(instance_id) == ["handle"]  # the task stays with its holder
    (row,) = timers_of(instance_id)
    assert (row.status, row.attempts) == ("pending", 0)
    assert row.due_at == frozen_clock.current.replace(day=7)
    assert event_kinds(instance_id).count("timer_fired") == 3
    complete(instance_id, people)
    assert [row.status for row in timers_of(instance_id)] == ["cancelled"]
    frozen_clock.advance(days=5)
    assert api.fire_due_timers(worker_id="w1") == 0
    assert reminders() == 3
    assert api.get_instance(instance_id).status == "completed"
    assert api.replay_instance(instance_id).ok


@pytest.mark.parametrize(("cycle", "rounds"), [("R2/PT1H", 2), ("R1/PT1H", 1)])
def test_a_bounded_cycle_stops_after_its_rounds(people, frozen_clock, cycle, rounds) -> None:
    deploy("timers_urge_daily")
    instance_id = start(people, cycle)
    for _ in range(4):
        frozen_clock.advance(hours=1)
        api.fire_due_timers(worker_id="w1")
    assert reminders() == rounds
    assert active_specs(instance_id) == ["handle"]
    assert [row.status for row in timers_of(instance_id)] == ["fired"]  # the last round
    assert api.replay_instance(instance_id).ok


def test_two_schedulers_fire_each_round_exactly_once(app, people, frozen_clock) -> None:
    deploy("timers_urge_daily")
    ids = [start(people) for _ in range(8)]
    for day in (1, 2):
        frozen_clock.advance(days=1)
        done = run_in_two_threads(app, api.fire_due_timers)
        assert sum(done.values()) == len(ids)
        fired = db.session.execute(
            select(InstanceEvent.instance_id, func.count())
            .where(InstanceEvent.kind == "timer_fired")
            .group_by(InstanceEvent.instance_id)
        ).all()
        assert Counter(dict(fired)) == Counter(dict.fromkeys(ids, day))
    assert reminders() == 2 * len(ids)
