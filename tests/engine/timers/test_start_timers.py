"""Timer start events: the scheduler starts one instance per due round, also with two schedulers."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import select

from engine import api
from engine import scheduler as engine_scheduler
from engine.definitions import repository
from engine.runtime import start_timers
from engine.runtime.models import ProcessInstance
from engine.runtime.wait_models import StartTimer
from services.db import db
from tests.engine.timers.conftest import BPMN_DIR, deploy
from tests.engine.timers.helpers import run_in_two_threads
from tests.engine.waits.helpers import active_specs


def instances(key: str) -> list[ProcessInstance]:
    query = select(ProcessInstance).where(ProcessInstance.process_key == key)
    return list(db.session.scalars(query.order_by(ProcessInstance.id)))


def start_rows(key: str) -> list[StartTimer]:
    query = select(StartTimer).where(StartTimer.process_key == key).order_by(StartTimer.id)
    return list(db.session.scalars(query.execution_options(populate_existing=True)))


def test_every_working_day_at_eight_starts_one_instance(app, people, frozen_clock) -> None:
    """The clock starts on Monday 2025-03-03 09:00 Beijing time: the first round is Tuesday."""
    deploy("timers_morning")
    engine_scheduler.run_once(app, worker_id="s1")
    (row,) = start_rows("timers_morning")
    assert row.due_at.isoformat() == "2025-03-04T00:00:00+00:00"  # 08:00 in Beijing
    frozen_clock.advance(hours=22, minutes=59)
    assert engine_scheduler.run_once(app, worker_id="s1").instances_started == 0
    frozen_clock.advance(minutes=1)
    per_day = []
    for _ in range(7):  # Tuesday .. the next Monday
        per_day.append(engine_scheduler.run_once(app, worker_id="s1").instances_started)
        frozen_clock.advance(days=1)
    assert per_day == [1, 1, 1, 1, 0, 0, 1]  # no instance on Saturday and Sunday
    started = instances("timers_morning")
    assert len(started) == 5
    first = started[0]
    assert (first.starter_id, first.status) == (people.starter.id, "running")
    assert active_specs(first.id) == ["sign_in"]
    (created,) = [e for e in api.history(first.id) if e.kind == "instance_started"]
    assert created.data["data"] == {"scheduled_at": "2025-03-04T00:00:00+00:00"}
    assert api.replay_instance(first.id).ok


def test_a_bounded_cycle_starts_exactly_its_rounds(app, people, frozen_clock) -> None:
    deploy("timers_hourly")
    engine_scheduler.run_once(app, worker_id="s1")
    counts = []
    for _ in range(5):
        frozen_clock.advance(hours=1)
        counts.append(engine_scheduler.run_once(app, worker_id="s1").instances_started)
    assert counts == [1, 1, 1, 0, 0]
    (row,) = start_rows("timers_hourly")
    assert (row.status, row.started_count, row.cycles_left) == ("done", 3, 0)
    for instance in instances("timers_hourly"):
        assert active_specs(instance.id) == ["report"]  # the script ran, the start event fired
        assert api.replay_instance(instance.id).ok


def test_two_schedulers_start_each_round_exactly_once(app, people, frozen_clock) -> None:
    text = (BPMN_DIR / "timers_hourly.bpmn").read_text()
    keys = [f"timers_hourly_{n}" for n in range(6)]
    for key in keys:
        files = {f"{key}.bpmn": text.replace('"timers_hourly"', f'"{key}"').encode()}
        repository.deploy(files, deployed_by=None)
    db.session.commit()

    def job(limit: int, worker_id: str) -> int:
        start_timers.sync_start_timers()
        return start_timers.fire_due_start_timers(limit=limit, worker_id=worker_id)

    run_in_two_threads(app, job)  # both sync at once: one set of rows
    assert len(db.session.scalars(select(StartTimer)).all()) == len(keys)
    for _ in range(2):
        frozen_clock.advance(hours=1)
        done = run_in_two_threads(app, job)
        assert sum(done.values()) == len(keys)
    started = Counter(db.session.scalars(select(ProcessInstance.process_key)))
    assert started == Counter(dict.fromkeys(keys, 2))


def test_a_new_version_retires_the_old_rows(app, people, frozen_clock) -> None:
    deploy("timers_hourly")
    engine_scheduler.run_once(app, worker_id="s1")
    text = (BPMN_DIR / "timers_hourly.bpmn").read_text().replace("R3/PT1H", "R/PT2H")
    repository.deploy({"timers_hourly.bpmn": text.encode()}, deployed_by=None)
    db.session.commit()
    engine_scheduler.run_once(app, worker_id="s1")
    old, new = start_rows("timers_hourly")
    assert (old.status, new.status) == ("retired", "pending")
    assert (new.cycles_left, new.interval_seconds) == (-1, 7200)
    frozen_clock.advance(hours=1)
    assert engine_scheduler.run_once(app, worker_id="s1").instances_started == 0
    frozen_clock.advance(hours=1)
    assert engine_scheduler.run_once(app, worker_id="s1").instances_started == 1


def test_a_start_timer_without_a_starter_fails_then_is_retried(app, people, frozen_clock) -> None:
    text = (BPMN_DIR / "timers_hourly.bpmn").read_text().replace('value="zhang"', 'value="nobody"')
    repository.deploy({"timers_hourly.bpmn": text.encode()}, deployed_by=None)
    db.session.commit()
    engine_scheduler.run_once(app, worker_id="s1")
    frozen_clock.advance(hours=1)
    for _ in range(3):
        assert engine_scheduler.run_once(app, worker_id="s1").instances_started == 0
    (row,) = start_rows("timers_hourly")
    assert (row.status, row.attempts) == ("failed", 3)
    assert "定时启动的发起人“nobody”不存在" in (row.last_error or "")
    assert instances("timers_hourly") == []
    start_timers.retry_start_timer(row.id)
    db.session.commit()
    assert start_rows("timers_hourly")[0].status == "pending"
