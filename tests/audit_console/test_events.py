"""流程审计: the auditor searches events of all instances by user, process, instance, time, kind."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from engine import api
from engine.runtime.history import open_log
from services.db import db
from tests.auth.helpers import PASSWORD, login
from tests.engine.replay.flows import APPROVE, REJECT_THEN_APPROVE, run_approval
from tests.engine.runtime.conftest import make_bare_instance
from web.audit_console.events import PER_PAGE


@pytest.fixture
def two_processes(people, frozen_clock):
    """An approval run to the end on day 1; a 收文 instance by the reviewer on day 2."""
    approval = run_approval(people, REJECT_THEN_APPROVE)
    frozen_clock.advance(days=1)
    shouwen = make_bare_instance(people.reviewer, key="shouwen_test")
    shouwen.title = "关于报送年度总结的函"
    open_log(shouwen).append("instance_started", actor_id=people.reviewer.id)
    db.session.commit()
    return approval, shouwen.id


def rows(client: FlaskClient, query: str = "") -> list[str]:
    """The body rows of the events table (one string per row)."""
    response = client.get(f"/audit/events{query}")
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_data(as_text=True).split("<tbody>")[1].split("</tbody>")[0]
    return [row for row in body.split("<tr>")[1:] if "没有符合条件的事件" not in row]


def relogin(client: FlaskClient) -> None:
    login(client, "auditor", PASSWORD)  # the frozen clock moved past the session's idle limit


def test_all_events_are_listed_with_links_to_the_instance(two_processes, auditor) -> None:
    approval, shouwen = two_processes
    relogin(auditor)
    page = auditor.get("/audit/events").get_data(as_text=True)
    assert (
        f'href="/audit/instances/{approval}"' in page
        and f'href="/audit/instances/{shouwen}"' in page
    )
    assert "运行时测试审批" in page  # the process's name, not its key
    assert "关于报送年度总结的函" in page and "张三" in page and "李四" in page
    assert len(rows(auditor)) == len(rows(auditor, f"?instance={approval}")) + 1


def test_filter_by_user(two_processes, auditor, people) -> None:
    _, shouwen = two_processes
    relogin(auditor)
    found = rows(auditor, "?username=li")
    assert found and all("李四" in row for row in found)
    assert any(f">{shouwen}</a>" in row for row in found)
    assert len(rows(auditor, "?username=zhang")) == 3  # started, draft twice
    unknown = auditor.get("/audit/events?username=nobody")
    assert unknown.status_code == 422 and "没有用户名为“nobody”的用户" in unknown.get_data(
        as_text=True
    )


def test_filter_by_process_and_instance(two_processes, auditor) -> None:
    approval, _ = two_processes
    relogin(auditor)
    assert len(rows(auditor, "?process=shouwen_test")) == 1
    by_instance = rows(auditor, f"?instance={approval}")
    assert by_instance and all(f">{approval}</a>" in row for row in by_instance)
    assert rows(auditor, "?instance=123456") == []
    assert auditor.get("/audit/events?instance=12a").status_code == 422


def test_filter_by_kind(two_processes, auditor) -> None:
    relogin(auditor)
    completed = rows(auditor, "?kind=completed")
    assert len(completed) == 4 and all("办理完成" in row for row in completed)
    assert len(rows(auditor, "?kind=started")) == 2
    assert auditor.get("/audit/events?kind=bogus").status_code == 422


def test_filter_by_beijing_days(two_processes, auditor) -> None:
    # Day 1 is 2025-03-03 from 09:00 Beijing; the 收文 was started 24 hours later.
    approval, shouwen = two_processes
    relogin(auditor)
    day1 = rows(auditor, "?since=2025-03-03&until=2025-03-03")
    assert day1 and all(f">{approval}</a>" in row for row in day1)
    day2 = rows(auditor, "?since=2025-03-04")
    assert len(day2) == 1 and f">{shouwen}</a>" in day2[0]
    assert rows(auditor, "?until=2025-03-02") == []
    assert auditor.get("/audit/events?since=2025-02-30").status_code == 422


def test_pagination_keeps_the_filters(auditor, people) -> None:
    while api.count_events(api.EventFilters()) <= PER_PAGE:
        run_approval(people, APPROVE)  # deploying the same file again is a no-op
    total = api.count_events(api.EventFilters())
    first = auditor.get("/audit/events?process=runtime_approval").get_data(as_text=True)
    assert "第 1 / 2 页" in first and f"共 {total} 条事件" in first
    assert "/audit/events?process=runtime_approval&amp;page=2" in first
    assert len(rows(auditor, "?process=runtime_approval&page=2")) == total - PER_PAGE
