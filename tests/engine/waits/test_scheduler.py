"""The scheduler: two schedulers fire each timer and deliver each message exactly once; the
job function, APScheduler wiring and ``oa scheduler``."""

from __future__ import annotations

import dataclasses
from collections import Counter

import pytest
from sqlalchemy import func, select, text

from engine import api
from engine import scheduler as engine_scheduler
from engine.runtime.models import InstanceEvent
from engine.runtime.wait_models import EngineMessage, EngineTimer
from services import config
from services.db import db
from tests.engine.timers.helpers import run_in_two_threads
from tests.engine.waits.conftest import deploy
from tests.engine.waits.helpers import active_specs
from web.commands.scheduler import scheduler as scheduler_command

INSTANCES = 24


def start_many(people, key: str, count: int, **data) -> list[int]:
    ids = [
        api.start_instance(key, starter_id=people.starter.id, data=data).id for _ in range(count)
    ]
    db.session.commit()
    return ids


def events_per_instance(kind: str) -> Counter[int]:
    rows = db.session.execute(
        select(InstanceEvent.instance_id, func.count())
        .where(InstanceEvent.kind == kind)
        .group_by(InstanceEvent.instance_id)
    ).all()
    return Counter({instance_id: count for instance_id, count in rows})


def test_a_timer_fired_by_two_schedulers_fires_exactly_once(app, people, frozen_clock) -> None:
    deploy("waits_pause")
    ids = start_many(people, "waits_pause", INSTANCES, wait_for="PT10M")
    frozen_clock.advance(minutes=10)
    done = run_in_two_threads(app, api.fire_due_timers, limit=5)
    assert sum(done.values()) == INSTANCES
    assert events_per_instance("timer_fired") == Counter(dict.fromkeys(ids, 1))
    rows = list(db.session.scalars(select(EngineTimer)))
    assert {row.status for row in rows} == {"fired"}
    assert {row.claimed_by for row in rows} <= {"s1", "s2"}
    assert all(active_specs(instance_id) == ["after"] for instance_id in ids)


def test_a_message_delivered_by_two_schedulers_arrives_exactly_once(app, people) -> None:
    deploy("waits_receiver")
    ids = [
        api.start_instance("waits_receiver", starter_id=people.starter.id, data={"doc_id": n}).id
        for n in range(INSTANCES)
    ]
    for n in range(INSTANCES):
        api.send_message("reply", {"doc_id": n}, {"answer": "同意"}, sender_id=people.starter.id)
    db.session.commit()
    done = run_in_two_threads(app, api.deliver_messages, limit=5)
    assert sum(done.values()) == INSTANCES
    assert events_per_instance("message_received") == Counter(dict.fromkeys(ids, 1))
    statuses = set(db.session.scalars(select(EngineMessage.status)))
    assert statuses == {"delivered"}


def test_run_once_fires_timers_and_delivers_messages(app, people, frozen_clock) -> None:
    deploy("waits_pause", "waits_shouwen")
    (timer_instance,) = start_many(people, "waits_pause", 1, wait_for="PT1H")
    api.send_message("fawen_issued", payload={"unit": "市财政局"}, sender_id=people.starter.id)
    db.session.commit()
    frozen_clock.advance(hours=1)
    result = engine_scheduler.run_once(app, worker_id="job")
    assert result == engine_scheduler.RunResult(timers_fired=1, messages_delivered=1)
    assert active_specs(timer_instance) == ["after"]


@pytest.mark.postgres_only
def test_idle_runs_keep_postgresqls_prepared_statements(app) -> None:
    """A run that found nothing due ends with COMMIT, not ROLLBACK (services.db.end_transaction):
    psycopg would drop the statements it prepared for the polling queries on a rollback."""
    db.session.remove()  # one connection in the pool: the runs and the check below share it
    for _ in range(6):  # psycopg prepares a statement on its sixth execution
        assert engine_scheduler.run_once(app, worker_id="idle") == engine_scheduler.RunResult(0, 0)
    prepared = db.session.scalar(text("SELECT count(*) FROM pg_prepared_statements"))
    assert prepared is not None and prepared >= 1


def test_start_scheduler_runs_the_job_at_the_configured_interval(app) -> None:
    running = engine_scheduler.start_scheduler(app, interval_seconds=7)
    assert running is not None
    try:
        job = running.get_job(engine_scheduler.JOB_ID)
        assert job is not None and job.trigger.interval.total_seconds() == 7
        assert job.args == (app,) and job.max_instances == 1
    finally:
        running.shutdown(wait=False)


def test_start_scheduler_is_a_no_op_when_disabled(app, monkeypatch) -> None:
    disabled = dataclasses.replace(config.current_settings(), scheduler_enabled=False)
    monkeypatch.setattr(config, "_installed", disabled)
    assert engine_scheduler.start_scheduler(app) is None


@pytest.mark.parametrize("due", [True, False])
def test_oa_scheduler_once_reports_what_it_did(app, people, frozen_clock, due) -> None:
    deploy("waits_pause")
    start_many(people, "waits_pause", 2, wait_for="PT1H")
    if due:
        frozen_clock.advance(hours=1)
    result = app.test_cli_runner().invoke(scheduler_command, ["--once"])
    assert result.exit_code == 0, result.output
    assert f"触发定时器 {2 if due else 0} 个，投递消息 0 条" in result.output
