"""退回 as the person it comes back to sees it: who sent it back, from where, and why."""

from __future__ import annotations

import pytest

from engine import api
from services.db import db
from tests.workbench.helpers import APPLY, logged_in, open_task_of, start_qingjia
from web.workbench import history as hist


@pytest.fixture
def sent_back(office) -> api.TaskView:
    """The clerk's 填写申请, sent back by the head with a reason."""
    task = start_qingjia(office.clerk.id, title="张科员请假")
    api.complete_task(task.id, actor_id=office.clerk.id, data={**APPLY, "days": 2})
    head_task = open_task_of(office.head.id)
    api.send_back(
        head_task.id, actor_id=office.head.id, target_task_spec="apply", reason="缺病假条"
    )
    db.session.commit()
    return open_task_of(office.clerk.id)


def test_reopened_step_shows_who_sent_it_back_and_why(client, office, sent_back) -> None:
    html = (
        logged_in(client, "clerk1").get(f"/workbench/tasks/{sent_back.id}").get_data(as_text=True)
    )
    assert 'class="card wb-sent-back"' in html
    assert "<strong>李科长</strong>" in html and "从“部门负责人审批”退回本环节" in html
    assert '<span class="wb-sent-back-reason">缺病假条</span>' in html


def test_sent_back_is_in_the_opinions_with_its_reason_in_chinese(client, office, sent_back) -> None:
    html = (
        logged_in(client, "clerk1").get(f"/workbench/tasks/{sent_back.id}").get_data(as_text=True)
    )
    assert "task_sent_back" not in html
    opinions = html[html.index('id="opinions-title"') :]
    assert "<strong>部门负责人审批</strong> · 李科长" in opinions
    assert "理由：缺病假条" in opinions


def test_notice_ends_once_the_step_is_done_again(office, sent_back) -> None:
    events = api.history(sent_back.instance_id)
    notice = hist.sent_back_to(events, "apply")
    assert notice is not None and (notice.actor, notice.reason) == ("李科长", "缺病假条")
    assert hist.sent_back_to(events, "dept_approve") is None
    api.complete_task(sent_back.id, actor_id=office.clerk.id, data={**APPLY, "days": 2})
    db.session.commit()
    assert hist.sent_back_to(api.history(sent_back.instance_id), "apply") is None


def test_other_event_kinds_have_chinese_labels() -> None:
    for kind in ("task_sent_back", "task_withdrawn", "task_reassigned", "instance_terminated"):
        label = hist.EVENT_LABELS[kind]
        assert label and not label.isascii()
