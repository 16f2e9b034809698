"""Searching the events of all instances (流程审计): filters, order, pages, the export stream."""

from __future__ import annotations

from datetime import timedelta

import pytest

from engine.runtime import event_search
from engine.runtime.event_search import EventFilters
from engine.runtime.history import open_log
from services.db import db
from tests.engine.runtime.conftest import make_bare_instance


@pytest.fixture
def logged(people, frozen_clock):
    """Two instances of two processes; events a day apart, by the starter and the reviewer."""
    fawen = make_bare_instance(people.starter, key="fawen")
    fawen.business_key, fawen.title = "市府办〔2025〕7号", "关于春节值班的通知"
    shouwen = make_bare_instance(people.reviewer, key="shouwen")
    fawen_log, shouwen_log = open_log(fawen), open_log(shouwen)
    fawen_log.append("instance_started", actor_id=people.starter.id, data={"data": {"a": 1}})
    shouwen_log.append("instance_started", actor_id=people.reviewer.id)
    frozen_clock.advance(days=1)
    fawen_log.append(
        "task_completed", actor_id=people.reviewer.id, task_spec="review", task_name="审核"
    )
    fawen_log.append("task_sent_back", actor_id=people.reviewer.id, task_spec="review")
    frozen_clock.advance(days=1)
    shouwen_log.append("instance_completed")
    db.session.commit()
    return fawen.id, shouwen.id


def kinds(filters: EventFilters) -> list[tuple[int, str]]:
    return [(e.instance_id, e.kind) for e in event_search.search_events(filters).items]


def test_everything_newest_first(logged) -> None:
    fawen, shouwen = logged
    assert kinds(EventFilters()) == [
        (shouwen, "instance_completed"),
        (fawen, "task_sent_back"),
        (fawen, "task_completed"),
        (shouwen, "instance_started"),
        (fawen, "instance_started"),
    ]
    assert event_search.count_events(EventFilters()) == 5


def test_each_filter_narrows(logged, people, frozen_clock) -> None:
    fawen, shouwen = logged
    start = frozen_clock() - timedelta(days=2)
    by_reviewer = EventFilters(actor_id=people.reviewer.id)
    assert kinds(by_reviewer) == [
        (fawen, "task_sent_back"),
        (fawen, "task_completed"),
        (shouwen, "instance_started"),
    ]
    assert kinds(EventFilters(process_key="shouwen")) == [
        (shouwen, "instance_completed"),
        (shouwen, "instance_started"),
    ]
    assert len(kinds(EventFilters(instance_id=fawen))) == 3
    assert kinds(EventFilters(business_key="〔2025〕7")) == kinds(EventFilters(instance_id=fawen))
    assert kinds(EventFilters(business_key="%")) == []  # LIKE wildcards are literal
    assert kinds(EventFilters(kinds=("task_sent_back", "instance_completed"))) == [
        (shouwen, "instance_completed"),
        (fawen, "task_sent_back"),
    ]
    day_two = EventFilters(since=start + timedelta(days=1), until=start + timedelta(days=2))
    assert kinds(day_two) == [(fawen, "task_sent_back"), (fawen, "task_completed")]
    both = EventFilters(actor_id=people.reviewer.id, process_key="fawen", kinds=("task_completed",))
    assert kinds(both) == [(fawen, "task_completed")]


def test_rows_carry_the_instance(logged) -> None:
    (row,) = event_search.search_events(EventFilters(kinds=("task_completed",))).items
    assert (row.process_key, row.business_key, row.title) == (
        "fawen",
        "市府办〔2025〕7号",
        "关于春节值班的通知",
    )
    assert (row.seq, row.task_spec, row.task_name) == (2, "review", "审核")
    assert row.at.tzinfo is not None


def test_pages(logged) -> None:
    first = event_search.search_events(EventFilters(), page=1, per_page=2)
    third = event_search.search_events(EventFilters(), page=3, per_page=2)
    assert (first.total, first.pages, len(first.items), len(third.items)) == (5, 3, 2, 1)
    assert third.items[0].kind == "instance_started"


def test_export_stream_is_oldest_first_and_limited(logged) -> None:
    fawen, shouwen = logged
    streamed = [(e.instance_id, e.kind) for e in event_search.iter_events(EventFilters(), 3)]
    assert streamed == [
        (fawen, "instance_started"),
        (shouwen, "instance_started"),
        (fawen, "task_completed"),
    ]
    stopped = event_search.iter_events(EventFilters(), 100)
    assert next(stopped).kind == "instance_started"
    stopped.close()  # an export that stops early releases its cursor
    assert event_search.count_events(EventFilters(process_key="fawen")) == 3
