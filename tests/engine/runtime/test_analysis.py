"""公文办理分析 figures, computed exactly on task rows written under a frozen clock."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pytest

from engine import api
from engine.runtime.analysis import p90
from engine.runtime.history import open_log
from engine.runtime.models import HumanTask, ProcessInstance
from services.db import db
from services.errors import ValidationFailed
from services.org.models import User
from tests.engine.runtime.conftest import make_bare_instance
from tests.org.factories import make_unit, make_user

DAY = date(2025, 3, 3)  # the frozen clock starts at 2025-03-03 09:00 Beijing


@dataclass
class World:
    a1: User
    a2: User
    b1: User
    t0: datetime
    ids: dict[str, int]


def _instance(template: ProcessInstance, starter: User) -> ProcessInstance:
    instance = ProcessInstance(
        version_id=template.version_id,
        process_key=template.process_key,
        title="另一件",
        starter_id=starter.id,
        starter_unit_id=starter.unit_id,
    )
    db.session.add(instance)
    db.session.flush()
    return instance


def _task(instance: ProcessInstance, spec: str, name: str, user: User, **fields) -> HumanTask:
    completed = fields.get("completed_at")
    row = HumanTask(
        instance_id=instance.id,
        spiff_task_id=str(uuid.uuid4()),
        task_spec=spec,
        name=name,
        process_key=instance.process_key,
        assignee_id=user.id,
        status="completed" if completed else fields.pop("status", "open"),
        active=completed is None,
        completed_by_id=user.id if completed else None,
        **fields,
    )
    db.session.add(row)
    db.session.flush()
    return row


@pytest.fixture
def world(app, frozen_clock) -> World:
    unit_a, unit_b = make_unit("市财政局"), make_unit("市交通局")
    a1 = make_user("a1", unit_a, name="甲一")
    a2 = make_user("a2", unit_a, name="甲二")
    b1 = make_user("b1", unit_b, name="乙一")
    db.session.flush()
    t0 = frozen_clock.current
    hours = lambda n: t0 + timedelta(hours=n)  # noqa: E731
    first = make_bare_instance(a1, key="fawen")
    first.starter_unit_id = a1.unit_id
    second = _instance(first, b1)
    incoming = make_bare_instance(a1, key="shouwen")
    incoming.starter_unit_id = a1.unit_id
    ids = {
        "t1": _task(
            first, "review", "审核", a1, created_at=t0, completed_at=hours(1), due_at=hours(2)
        ).id,
        "t2": _task(
            first, "review", "审核", a2, created_at=t0, completed_at=hours(5), due_at=hours(2)
        ).id,
        "t3": _task(second, "review", "审核", b1, created_at=t0, completed_at=hours(2)).id,
        "t4": _task(first, "review", "审核", a1, created_at=t0, due_at=hours(3)).id,
        "t7": _task(first, "sign", "签发", a1, created_at=hours(1), completed_at=hours(3)).id,
        "in": _task(incoming, "register", "登记", a1, created_at=t0, completed_at=hours(4)).id,
    }
    _task(first, "review", "审核", a2, created_at=t0, status="cancelled")
    _task(first, "review", "审核", a2, created_at=t0 - timedelta(days=1), completed_at=t0)
    log = open_log(first)
    frozen_clock.current = hours(1.5)
    log.append("service_called", data={"service": "notify.remind", "result": "{}"})
    log.append("service_called", data={"service": "mail.send", "result": "{}"})
    for task in ("t4", "t4", "t7"):
        log.append("task_urged", actor_id=a2.id, data={"task_id": ids[task]})
    frozen_clock.current = hours(10)
    db.session.commit()
    return World(a1=a1, a2=a2, b1=b1, t0=t0, ids=ids)


def _query(**fields) -> api.AnalysisQuery:
    values = {"process_keys": ("fawen",), "date_from": DAY, "date_to": DAY, **fields}
    return api.AnalysisQuery(**values)


def _one(stats: list[api.NodeStats], spec: str, **match) -> api.NodeStats:
    found = [
        s
        for s in stats
        if s.task_spec == spec and all(getattr(s, k) == v for k, v in match.items())
    ]
    assert len(found) == 1, found
    return found[0]


def test_p90_is_the_nearest_rank():
    assert p90([]) is None
    assert p90([5.0]) == 5.0
    assert p90([float(n) for n in range(10, 0, -1)]) == 9.0
    assert p90([float(n) for n in range(1, 21)]) == 18.0
    assert p90([1.0, 100.0]) == 100.0


def test_per_node_counts_times_overdue_and_reminders(world):
    stats = api.task_analysis(_query())
    assert [(s.task_spec, s.name) for s in stats] == [("review", "审核"), ("sign", "签发")]
    review = _one(stats, "review")
    assert (review.total, review.handled) == (4, 3)
    assert review.avg_seconds == pytest.approx((3600 + 18000 + 7200) / 3)
    assert review.p90_seconds == 18000
    # t2 completed late, t4 still open past its due time; t1 in time, t3 has no due time.
    assert (review.overdue, review.overdue_rate) == (2, 0.5)
    # t4: urged twice plus the timer reminder; t2: the timer reminder (t1 was done by then).
    assert review.reminders == 4
    sign = _one(stats, "sign")
    assert (sign.total, sign.handled, sign.avg_seconds, sign.p90_seconds) == (1, 1, 7200, 7200)
    assert (sign.overdue, sign.overdue_rate, sign.reminders) == (0, 0.0, 2)


def test_unit_scope_and_grouping(world):
    a_unit, b_unit = world.a1.unit_id, world.b1.unit_id
    scoped = _one(api.task_analysis(_query(unit_id=a_unit)), "review")
    assert (scoped.total, scoped.handled, scoped.overdue) == (3, 2, 2)
    assert scoped.avg_seconds == 10800 and scoped.p90_seconds == 18000
    by_unit = api.task_analysis(_query(group_by="unit"))
    assert _one(by_unit, "review", unit_id=a_unit).total == 3
    assert _one(by_unit, "review", unit_id=b_unit).avg_seconds == 7200
    by_person = api.task_analysis(_query(group_by="person"))
    mine = _one(by_person, "review", user_id=world.a1.id)
    assert (mine.total, mine.handled, mine.avg_seconds, mine.overdue, mine.reminders) == (
        2,
        1,
        3600,
        1,
        3,
    )
    assert mine.unit_id == a_unit
    theirs = _one(by_person, "review", user_id=world.a2.id)
    assert (theirs.total, theirs.overdue, theirs.overdue_rate, theirs.reminders) == (1, 1, 1.0, 1)


def test_process_and_period_filters(world):
    incoming = api.task_analysis(_query(process_keys=("shouwen",)))
    assert [(s.task_spec, s.handled, s.avg_seconds) for s in incoming] == [("register", 1, 14400)]
    both = api.task_analysis(_query(process_keys=("fawen", "shouwen")))
    assert {s.process_key for s in both} == {"fawen", "shouwen"}
    yesterday = DAY - timedelta(days=1)
    earlier = api.task_analysis(_query(date_from=yesterday, date_to=yesterday))
    assert [(s.task_spec, s.total, s.handled) for s in earlier] == [("review", 1, 1)]
    assert (
        api.task_analysis(
            _query(date_from=DAY + timedelta(days=1), date_to=DAY + timedelta(days=1))
        )
        == []
    )


def test_bad_queries_are_refused(world):
    with pytest.raises(ValidationFailed):
        api.task_analysis(_query(group_by="whatever"))
    with pytest.raises(ValidationFailed):
        api.task_analysis(_query(date_from=DAY, date_to=DAY - timedelta(days=1)))
