"""待办中心: tabs and their counts, filters, keyword, sort, paging, highlighting and 签收."""

from __future__ import annotations

from datetime import timedelta

import pytest

from engine import api
from engine.runtime.models import HumanTask, HumanTaskCandidate
from services import clock
from services.db import db
from tests.auth.helpers import csrf_token
from tests.workbench.helpers import logged_in, start_qingjia
from web.filters import BEIJING


def _start_many(office, frozen_clock, count: int) -> list[api.TaskView]:
    """``count`` 请假 tasks of the clerk titled 第n号请假, one hour apart."""
    tasks = []
    for n in range(count):
        tasks.append(start_qingjia(office.clerk.id))
        _retitle(tasks[-1].id, f"第{n}号请假")
        frozen_clock.advance(hours=1)
    return tasks


def _retitle(task_id: int, title: str) -> None:
    # qingjia's first task has a fixed title; distinct ones make the listing checkable.
    db.session.get(HumanTask, task_id).title = title
    db.session.commit()


def _rows(html: str) -> int:
    return html.count('class="wb-row')


def test_tabs_show_counts_and_todo_rows(client, office, frozen_clock) -> None:
    _start_many(office, frozen_clock, 3)
    html = logged_in(client, "clerk1").get("/workbench/").get_data(as_text=True)
    assert 'data-tab="todo">待办<span class="wb-count">3</span>' in html
    assert 'data-tab="started">我发起的<span class="wb-count">3</span>' in html
    assert 'data-tab="done">已办<span class="wb-count">0</span>' in html
    assert _rows(html) == 3 and "第2号请假" in html
    assert '<option value="qingjia" >请假申请</option>' in html


def test_toread_tab_is_honestly_empty(client, office) -> None:
    html = logged_in(client, "clerk1").get("/workbench/?tab=toread").get_data(as_text=True)
    assert "暂无待阅" in html


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("q=第1号", ["第1号请假"]),
        ("q=WB-2026-7", ["第2号请假"]),  # 文号 (business key)
        ("urgency=urgent", ["第0号请假"]),
        ("process=other", []),
        ("process=qingjia", ["第0号请假", "第1号请假", "第2号请假"]),
        ("sort=created", ["第2号请假", "第1号请假", "第0号请假"]),
        ("from=2099-01-01", []),
    ],
)
def test_filters_keyword_and_sort(client, office, frozen_clock, query, expected) -> None:
    tasks = _start_many(office, frozen_clock, 3)
    row = db.session.get(HumanTask, tasks[0].id)
    row.urgency = "urgent"
    db.session.get(HumanTask, tasks[2].id).business_key = "WB-2026-7"
    db.session.commit()
    html = logged_in(client, "clerk1").get(f"/workbench/?{query}").get_data(as_text=True)
    found = [t for t in ("第0号请假", "第1号请假", "第2号请假") if t in html]
    assert sorted(found) == sorted(expected)
    if expected:
        positions = [html.index(t) for t in expected]
        assert positions == sorted(positions)


@pytest.mark.parametrize(
    ("from_day", "to_day", "listed"), [(0, 0, True), (-1, -1, False), (1, None, False)]
)
def test_date_range_uses_beijing_days(client, office, from_day, to_day, listed) -> None:
    _retitle(start_qingjia(office.clerk.id).id, "今天的请假")
    today = clock.now().astimezone(BEIJING).date()
    query = f"from={today + timedelta(days=from_day)}"
    if to_day is not None:
        query += f"&to={today + timedelta(days=to_day)}"
    html = logged_in(client, "clerk1").get(f"/workbench/?{query}").get_data(as_text=True)
    assert ("今天的请假" in html) is listed


def test_pagination(client, office, frozen_clock) -> None:
    _start_many(office, frozen_clock, 23)
    client = logged_in(client, "clerk1")
    first = client.get("/workbench/").get_data(as_text=True)
    second = client.get("/workbench/?page=2").get_data(as_text=True)
    assert _rows(first) == 20 and _rows(second) == 3
    assert "第 1 / 2 页" in first and "下一页" in first


def test_overdue_and_near_due_are_highlighted(client, office, frozen_clock) -> None:
    _retitle(start_qingjia(office.clerk.id).id, "将到期")  # due in 3 days
    frozen_clock.advance(days=2, hours=12)
    html = logged_in(client, "clerk1").get("/workbench/").get_data(as_text=True)
    assert "wb-near" in html and "即将到期" in html
    frozen_clock.advance(days=1)
    _retitle(start_qingjia(office.clerk.id).id, "新到的")
    html = logged_in(client, "clerk1").get("/workbench/").get_data(as_text=True)  # idle logout
    assert "wb-overdue" in html and "已逾期" in html
    overdue_only = client.get("/workbench/?overdue=1").get_data(as_text=True)
    assert "将到期" in overdue_only and "新到的" not in overdue_only


def test_inbox_lists_only_my_tasks(client, office) -> None:
    _retitle(start_qingjia(office.clerk.id).id, "张科员的请假")
    html = logged_in(client, "outsider1").get("/workbench/").get_data(as_text=True)
    assert "张科员的请假" not in html
    assert 'data-tab="todo">待办<span class="wb-count">0</span>' in html


@pytest.mark.parametrize("query", ["tab=nope", "page=0", "sort=nope", "from=2026-13-40"])
def test_bad_query_is_a_chinese_422(client, office, query) -> None:
    response = logged_in(client, "clerk1").get(f"/workbench/?{query}")
    assert response.status_code == 422


def _make_group_task(office) -> int:
    """Turn the clerk's task into a group task offered to the clerk and the colleague."""
    task = start_qingjia(office.clerk.id)
    row = db.session.get(HumanTask, task.id)
    row.title = "组任务"
    row.assignee_id = None
    row.candidates = [
        HumanTaskCandidate(user_id=office.clerk.id),
        HumanTaskCandidate(user_id=office.colleague.id),
    ]
    db.session.commit()
    return task.id


def test_claim_from_claimable_tab(client, office) -> None:
    task_id = _make_group_task(office)
    client = logged_in(client, "colleague1")
    html = client.get("/workbench/?tab=claimable").get_data(as_text=True)
    assert "组任务" in html and "签收" in html
    token = csrf_token(client, "/workbench/?tab=claimable")
    response = client.post(f"/workbench/tasks/{task_id}/claim", data={"csrf_token": token})
    assert response.status_code == 302
    assert api.get_task(task_id).assignee_id == office.colleague.id


def test_claim_by_non_candidate_is_refused(client, office) -> None:
    task_id = _make_group_task(office)
    client = logged_in(client, "outsider1")
    token = csrf_token(client, "/workbench/")
    response = client.post(f"/workbench/tasks/{task_id}/claim", data={"csrf_token": token})
    assert response.status_code == 403
    assert api.get_task(task_id).assignee_id is None


def test_portal_home_shows_count_and_newest(client, office, frozen_clock) -> None:
    _start_many(office, frozen_clock, 7)
    html = logged_in(client, "clerk1").get("/").get_data(as_text=True)
    assert 'todo-count">7<' in html
    assert html.count("/workbench/tasks/") == 5
    assert "第6号请假" in html and "第0号请假" not in html
