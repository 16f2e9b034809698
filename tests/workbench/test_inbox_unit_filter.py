"""The inbox's 单位 filter: tasks and 待阅 items narrowed to the unit of their instance."""

from __future__ import annotations

import pytest

from engine import api
from services.db import db
from tests.auth.helpers import csrf_token
from tests.workbench.helpers import logged_in, start_qingjia


@pytest.fixture
def two_units(office):
    """The clerk's 请假 and the outsider's 请假 (another unit), both circulated to the head,
    whose own open task is in the clerk's unit."""
    mine = start_qingjia(office.clerk.id)
    theirs = start_qingjia(office.outsider.id)
    for task, sender in ((mine, office.clerk), (theirs, office.outsider)):
        api.circulate(task.instance_id, sender_id=sender.id, user_ids=[office.head.id])
    db.session.commit()
    return mine, theirs


def test_engine_inbox_filters_by_the_instance_unit(office, two_units) -> None:
    mine, theirs = two_units
    here, there = office.clerk.unit_id, office.outsider.unit_id

    def todo(user_id, unit_id):
        filters = api.InboxFilters(unit_id=unit_id)
        return [t.id for t in api.inbox(user_id, filters=filters).items]

    assert todo(office.clerk.id, here) == [mine.id]
    assert todo(office.clerk.id, there) == []
    assert todo(office.outsider.id, there) == [theirs.id]


def test_page_filters_tasks_and_toread_by_unit(client, office, two_units) -> None:
    mine, _ = two_units
    client = logged_in(client, "head1")
    page = client.get(f"/workbench/?tab=toread&unit={office.outsider.unit_id}")
    html = page.get_data(as_text=True)
    assert "共 1 条" in html
    assert f'<option value="{office.outsider.unit_id}" selected>' in html
    page = client.get(f"/workbench/?tab=toread&unit={office.clerk.unit_id}")
    assert "共 1 条" in page.get_data(as_text=True)
    client.post("/logout", data={"csrf_token": csrf_token(client, "/workbench/")})
    clerk = logged_in(client, "clerk1")
    html = clerk.get(f"/workbench/?unit={office.outsider.unit_id}").get_data(as_text=True)
    assert "共 0 条" in html
    html = clerk.get(f"/workbench/?unit={office.clerk.unit_id}").get_data(as_text=True)
    assert f'data-task-id="{mine.id}"' in html


def test_bad_unit_is_a_chinese_422(client, office) -> None:
    response = logged_in(client, "clerk1").get("/workbench/?unit=abc")
    assert response.status_code == 422
    assert "单位有误" in response.get_data(as_text=True)
