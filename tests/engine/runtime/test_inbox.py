"""The inbox: todo, claimable, done, overdue and started lists, from the task table alone."""

from __future__ import annotations

import pytest

from engine import api
from engine.runtime.models import ProcessInstance
from services.db import db
from services.errors import ValidationFailed
from tests.engine.runtime.helpers import SUBJECT, active_rows, deploy_approval


@pytest.fixture
def five_instances(people, frozen_clock):
    """Five drafts for the starter, each created (and due) one hour after the previous."""
    deploy_approval()
    views = []
    for n in range(5):
        views.append(
            api.start_instance(
                "runtime_approval",
                starter_id=people.starter.id,
                data={
                    "subject": SUBJECT,
                    "reviewer": "li",
                    "urgency": "urgent" if n == 4 else "normal",
                },
                title=f"第{n}号通知",
            )
        )
        db.session.commit()
        frozen_clock.advance(hours=1)
    return people, views


def titles(page: api.Page) -> list[str]:
    return [item.title for item in page.items]


def test_todo_is_sorted_by_due_time_and_paged(five_instances) -> None:
    people, _views = five_instances
    first = api.inbox(people.starter.id, per_page=2)
    assert (first.total, first.pages) == (5, 3)
    assert titles(first) == ["第0号通知", "第1号通知"]
    assert titles(api.inbox(people.starter.id, page=3, per_page=2)) == ["第4号通知"]
    newest = api.inbox(people.starter.id, filters=api.InboxFilters(sort="created"), per_page=1)
    assert titles(newest) == ["第4号通知"]
    assert api.inbox(people.reviewer.id).total == 0


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (api.InboxFilters(keyword="第3号"), ["第3号通知"]),
        (api.InboxFilters(urgency="urgent"), ["第4号通知"]),
        (api.InboxFilters(process_key="other"), []),
        (api.InboxFilters(keyword="%"), []),
    ],
)
def test_filters_narrow_the_list(five_instances, filters, expected) -> None:
    people, _views = five_instances
    assert titles(api.inbox(people.starter.id, filters=filters)) == expected


def test_overdue_follows_the_clock(five_instances, frozen_clock) -> None:
    people, _views = five_instances
    overdue = api.InboxFilters(box="overdue")
    assert api.inbox(people.starter.id, filters=overdue).total == 0
    # Instance n is due at start + n hours + 1 day; the clock now stands at start + 5 hours.
    frozen_clock.advance(hours=21, minutes=30)
    page = api.inbox(people.starter.id, filters=overdue)
    assert titles(page) == ["第0号通知", "第1号通知", "第2号通知"]
    assert all(item.overdue for item in page.items)


def test_done_lists_what_i_completed_newest_first(five_instances, frozen_clock) -> None:
    people, views = five_instances
    for view in views[:2]:
        (row,) = active_rows(view.id)
        api.complete_task(row.id, actor_id=people.starter.id, data={"subject": SUBJECT})
        db.session.commit()
        frozen_clock.advance(minutes=1)
    done = api.inbox(people.starter.id, filters=api.InboxFilters(box="done"))
    assert titles(done) == ["第1号通知", "第0号通知"]
    assert api.inbox(people.starter.id).total == 3
    assert api.inbox(people.reviewer.id).total == 2


def test_started_instances_newest_first(five_instances) -> None:
    people, _views = five_instances
    page = api.started_instances(people.starter.id, per_page=3)
    assert page.total == 5
    assert [v.title for v in page.items] == ["第4号通知", "第3号通知", "第2号通知"]
    assert api.started_instances(people.reviewer.id).total == 0


def test_inbox_never_reads_engine_state(five_instances) -> None:
    people, views = five_instances
    db.session.get(ProcessInstance, views[0].id).state = "not json at all"
    db.session.commit()
    assert api.inbox(people.starter.id).total == 5


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"filters": api.InboxFilters(box="spam")}, "box"),
        ({"filters": api.InboxFilters(sort="name")}, "sort"),
        ({"per_page": 1000}, "page"),
        ({"page": 0}, "page"),
    ],
)
def test_bad_listing_parameters_are_refused(people, kwargs, field) -> None:
    with pytest.raises(ValidationFailed) as refused:
        api.inbox(people.starter.id, **kwargs)
    assert field in refused.value.errors
