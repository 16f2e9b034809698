"""收文 deadlines by moving the clock: the reminder at 18:00 the day before the 办理期限, the
escalation to the office at expiry, daily reminders after it, the overdue count and reminders in
公文办理分析 (engine and page), and two scheduler processes that fire each timer exactly once.

The frozen clock starts on Monday 2025-03-03 at 09:00 Beijing time (01:00 UTC); the 办理期限 is
Thursday 2025-03-06, so the reminder is due on Wednesday 18:00 and the escalation on Thursday
18:00 Beijing time (10:00 UTC both), the daily reminders on the following days at the same time.
"""

from __future__ import annotations

import multiprocessing
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from engine import api, scheduler
from engine.runtime import analysis
from engine.runtime.models import InstanceEvent
from engine.runtime.wait_models import EngineTimer
from services import clock
from services.config import current_settings
from services.db import db
from services.gongwen import exchange
from services.notify.models import Notification
from services.org.models import Unit, User
from tests.auth.helpers import login
from tests.conftest import make_test_app
from tests.gongwen.fawen_helpers import PASSWORD
from tests.shouwen.helpers import (
    departments,
    do,
    head,
    leader,
    office_director,
    open_tasks,
    record_of,
    registrar,
)
from tests.shouwen.test_process import deliver, sign_and_register

DEADLINE = date(2025, 3, 6)
REMIND_AT = datetime(2025, 3, 5, 10, 0, tzinfo=UTC)  # 18:00 Beijing, the day before
EXPIRE_AT = datetime(2025, 3, 6, 10, 0, tzinfo=UTC)  # 18:00 Beijing on the 办理期限
SOON = "收文办理期限将到，请尽快办理"
LATE = "收文已超过办理期限，请尽快办结"
MARCH = api.AnalysisQuery(("shouwen",), date(2025, 3, 1), date(2025, 3, 31))


@pytest.fixture
def handling(frozen_clock, city) -> dict[str, Any]:
    """A 收文 of 市财政局 with a 办理期限, waiting at 主办 + one 协办."""
    deliver(city, ["czj"])
    czj = city.units["czj"]
    instance_id = sign_and_register(czj, deadline=DEADLINE.isoformat())
    director = office_director(czj)
    do(instance_id, director, "初审", {"review_accept": True})
    do(instance_id, director, "拟办", {"proposal": "建议业务科室主办"})
    host, co, *_ = departments(czj)
    instruction = {"instruction": "同意", "host_department": host.id, "co_departments": [co.id]}
    do(instance_id, leader(czj), "领导批示", instruction)
    assert sorted(t.name for t in open_tasks(instance_id)) == ["主办部门办理", "协办部门办理"]
    return {
        "instance_id": instance_id,
        "unit": czj,
        "host": host,
        "co": co,
        "holders": {head(host).id, head(co).id},
        "office": {director.id, registrar(czj).id},
    }


def notes(body: str | None = None, category: str | None = None) -> list[int]:
    """The recipients of the notifications so far (sorted), by body and/or category."""
    stmt = select(Notification)
    if body is not None:
        stmt = stmt.where(Notification.body == body)
    if category is not None:
        stmt = stmt.where(Notification.category == category)
    return sorted(n.user_id for n in db.session.scalars(stmt))


def twice(users: set[int]) -> list[int]:
    return sorted([*users, *users])


def fire_at(frozen_clock, moment: datetime) -> int:
    frozen_clock.current = moment
    fired = api.fire_due_timers(worker_id="t")
    db.session.expire_all()
    return fired


def test_the_reminder_comes_at_18_00_the_day_before(handling, frozen_clock) -> None:
    record = record_of(handling["unit"])
    assert record.deadline == DEADLINE
    assert fire_at(frozen_clock, REMIND_AT - timedelta(seconds=1)) == 0
    assert notes(SOON) == []

    assert fire_at(frozen_clock, REMIND_AT) == 1
    assert notes(SOON, "remind") == sorted(handling["holders"])
    assert fire_at(frozen_clock, REMIND_AT + timedelta(hours=6)) == 0  # once only
    assert notes(SOON) == sorted(handling["holders"])
    assert not exchange.is_overdue(record, DEADLINE)


def test_escalation_at_expiry_then_a_reminder_every_day(handling, frozen_clock) -> None:
    fire_at(frozen_clock, REMIND_AT)
    assert fire_at(frozen_clock, EXPIRE_AT - timedelta(seconds=1)) == 0
    assert notes(category="escalate") == []

    assert fire_at(frozen_clock, EXPIRE_AT) == 1
    assert notes(category="escalate") == sorted(handling["office"])
    escalation = notes("办理期限已到，请立即办理", "remind")
    assert escalation == sorted(handling["holders"])
    assert exchange.is_overdue(record_of(handling["unit"]), DEADLINE + timedelta(days=1))

    assert fire_at(frozen_clock, EXPIRE_AT + timedelta(days=1) - timedelta(minutes=1)) == 0
    assert notes(LATE) == []
    assert fire_at(frozen_clock, EXPIRE_AT + timedelta(days=1)) == 1
    assert notes(LATE) == sorted(handling["holders"])
    assert fire_at(frozen_clock, EXPIRE_AT + timedelta(days=2, minutes=5)) == 1
    assert notes(LATE) == twice(handling["holders"])
    assert notes(category="escalate") == sorted(handling["office"])  # escalated once


def test_no_reminder_once_handled(handling, frozen_clock) -> None:
    instance_id = handling["instance_id"]
    do(instance_id, head(handling["host"]), "主办部门办理", {"host_feedback": "已落实"})
    do(instance_id, head(handling["co"]), "协办部门办理", {"co_feedback": "已配合"})
    assert [t.name for t in open_tasks(instance_id)] == ["办结"]
    assert fire_at(frozen_clock, EXPIRE_AT + timedelta(days=3)) == 0
    assert notes(SOON) == notes(LATE) == notes(category="escalate") == []


def handling_stats(unit_id: int | None = None) -> dict[str, api.NodeStats]:
    query = api.AnalysisQuery(MARCH.process_keys, MARCH.date_from, MARCH.date_to, unit_id)
    found = {s.task_spec: s for s in api.task_analysis(query)}
    return {spec: found[spec] for spec in ("host_handle", "co_handle")}


def test_the_analysis_counts_it_overdue_with_its_reminders(handling, frozen_clock) -> None:
    fire_at(frozen_clock, REMIND_AT)
    stats = handling_stats()
    assert [(s.total, s.overdue, s.reminders) for s in stats.values()] == [(1, 0, 1), (1, 0, 1)]

    fire_at(frozen_clock, EXPIRE_AT)
    fire_at(frozen_clock, EXPIRE_AT + timedelta(days=1))
    # The reminder the day before, the escalation, one daily reminder: open and overdue.
    stats = handling_stats(handling["unit"].id)
    assert [(s.total, s.handled, s.overdue, s.reminders) for s in stats.values()] == [
        (1, 0, 1, 3),
        (1, 0, 1, 3),
    ]
    instance_id = handling["instance_id"]
    do(instance_id, head(handling["host"]), "主办部门办理", {"host_feedback": "已落实"})
    frozen_clock.advance(days=1)  # the daily reminder is due again: 协办 only is still open
    fire_at(frozen_clock, frozen_clock.current)
    stats = handling_stats()
    assert [(s.handled, s.overdue, s.overdue_rate, s.reminders) for s in stats.values()] == [
        (1, 1, 1.0, 3),
        (0, 1, 1.0, 4),
    ]
    # Another unit's analysis does not include it.
    other = api.AnalysisQuery(MARCH.process_keys, MARCH.date_from, MARCH.date_to, other_unit())
    assert api.task_analysis(other) == []


def other_unit() -> int:
    return db.session.scalars(select(Unit.id).where(Unit.code != "czj").limit(1)).one()


def test_the_analysis_page_shows_it(handling, frozen_clock, client) -> None:
    fire_at(frozen_clock, REMIND_AT)
    fire_at(frozen_clock, EXPIRE_AT)
    director = db.session.get(User, office_director(handling["unit"]).id)
    assert director is not None
    assert login(client, director.username, PASSWORD).status_code == 302
    page = client.get("/gongwen/analysis?from=2025-03-01&to=2025-03-31&process=shouwen")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    # 主办部门办理: 1 row, none handled, no time yet, 1 overdue (100 %), 2 reminders.
    assert "<td>主办部门办理</td><td>1</td><td>0</td><td></td><td></td><td>1</td>" in _compact(text)
    assert "<td>100.0</td><td>2</td>" in _compact(text)


def _compact(html: str) -> str:
    return "".join(line.strip() for line in html.splitlines())


# ------------------------------------------------------------------ two scheduler processes


def scheduler_process(url: str, var_dir: str, now: str, name: str, start: Any, out: Any) -> None:
    """One scheduler worker process: its own app and connections, the clock at ``now``."""
    app = make_test_app(url, Path(var_dir))
    with clock.use_clock(clock.FrozenClock(datetime.fromisoformat(now))):
        start.wait(timeout=60)
        result = scheduler.run_once(app, worker_id=name)
    with app.app_context():
        db.engine.dispose()
    out.put((name, result.timers_fired))


def run_two_schedulers(app, moment: datetime) -> dict[str, int]:
    """Two processes run the scheduler job at ``moment`` at the same time; fired per worker."""
    context = multiprocessing.get_context("spawn")
    start, out = context.Barrier(2), context.Queue()
    settings = current_settings()
    url, var_dir = settings.database_url, str(settings.var_dir)
    workers = [
        context.Process(
            target=scheduler_process,
            args=(url, var_dir, moment.isoformat(), f"sched{n}", start, out),
        )
        for n in (1, 2)
    ]
    for worker in workers:
        worker.start()
    fired = dict(out.get(timeout=120) for _ in workers)
    for worker in workers:
        worker.join(timeout=60)
        assert worker.exitcode == 0
    return fired


def test_two_scheduler_processes_send_each_reminder_once(app, handling, frozen_clock) -> None:
    db.session.commit()
    db.session.remove()
    # The scheduler was down: the reminder, the escalation and the first daily reminder are all
    # due at once. Spiff fires every due timer of the instance when the first one runs.
    fired = run_two_schedulers(app, EXPIRE_AT + timedelta(days=1, minutes=5))

    assert sum(fired.values()) >= 1, fired
    assert notes(SOON) == notes(LATE) == sorted(handling["holders"])
    assert notes("办理期限已到，请立即办理") == sorted(handling["holders"])
    assert notes(category="escalate") == sorted(handling["office"])
    # The daily reminder is due again the next day at 18:00, not a day later.
    urge = db.session.scalars(
        select(EngineTimer).where(EngineTimer.task_spec == "handling_urge_timer")
    ).one()
    assert (urge.status, clock.as_utc(urge.due_at)) == ("pending", EXPIRE_AT + timedelta(days=2))


def test_two_scheduler_processes_at_each_deadline(app, handling, frozen_clock) -> None:
    db.session.commit()
    db.session.remove()
    moments = (REMIND_AT, EXPIRE_AT, EXPIRE_AT + timedelta(days=1))
    assert [sum(run_two_schedulers(app, m).values()) for m in moments] == [1, 1, 1]

    assert notes(SOON) == notes("办理期限已到，请立即办理") == sorted(handling["holders"])
    assert notes(LATE) == sorted(handling["holders"])
    assert notes(category="escalate") == sorted(handling["office"])
    events = db.session.scalars(
        select(InstanceEvent.task_spec).where(
            InstanceEvent.instance_id == handling["instance_id"],
            InstanceEvent.kind == "timer_fired",
        )
    )
    assert sorted(events) == [
        "handling_escalate_timer",
        "handling_remind_timer",
        "handling_urge_timer",
    ]


@pytest.mark.parametrize(
    ("summary", "ids"),
    [
        ('{"overdue": [6, 7], "office": [1]}', {6, 7}),  # a 发文 escalation names its step's rows
        ('{"overdue": [6, 7], "office": [1, 2', None),  # cut at the summary limit: unknown
        ('"done"', None),
        (None, None),
    ],
)
def test_the_rows_an_escalation_names(summary: str | None, ids: set[int] | None) -> None:
    assert analysis._escalated_ids(summary) == ids
