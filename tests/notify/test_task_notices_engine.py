"""新待办 notices from the engine: a new task row, a 转办 and a 加签 reach the new holder by the
e-mail/SMS they chose, in the same transaction as the task (the link opens the task)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from engine import api
from engine.definitions import repository
from services import clock
from services.db import db
from services.notify import preferences
from services.org.models import User
from tests.notify.helpers import outbox_rows
from tests.org.factories import make_department, make_unit, make_user
from tests.support.sql_statements import statements_sent

QINGJIA = Path(__file__).resolve().parents[2] / "processes" / "qingjia.bpmn"
LEAVE = {"leave_type": "事假", "start_date": "2026-03-02", "days": 1, "reason": "家中有事"}


def person(username: str, department, position: str = "staff", **channels: list[str]) -> User:
    user = make_user(username, department=department, position=position, name=username)
    user.email, user.mobile = f"{username}@example.gov.cn", "13800138000"
    if channels:
        preferences.save_preferences(user.id, channels)
    return user


@pytest.fixture
def leave_office(app):
    department = make_department("综合科", unit=make_unit("市财政局"))
    clerk = person("clerk_n", department)
    head = person("head_n", department, position="dept_head", new_task=["email", "sms"])
    deputy = person("deputy_n", department, new_task=["sms"])
    repository.deploy({QINGJIA.name: QINGJIA.read_bytes()}, deployed_by=None)
    db.session.commit()
    return clerk, head, deputy


def submit_leave(clerk: User) -> int:
    instance = api.start_instance("qingjia", starter_id=clerk.id, data={"title": "请假一天"})
    (apply,) = api.inbox(clerk.id).items
    api.complete_task(apply.id, actor_id=clerk.id, data=LEAVE)
    db.session.commit()
    return instance.id


def test_new_task_row_sends_the_chosen_channels(leave_office) -> None:
    clerk, head, _ = leave_office
    submit_leave(clerk)
    (approve,) = api.inbox(head.id).items
    rows = outbox_rows()
    # The clerk (starter of "填写申请") chose nothing: no row; the head chose e-mail and SMS.
    assert sorted(r.channel for r in rows) == ["email", "sms"]
    assert {r.address for r in rows} == {"head_n@example.gov.cn", "13800138000"}
    notification = rows[0].notification
    assert notification.user_id == head.id
    assert notification.link == f"/workbench/tasks/{approve.id}"
    assert notification.title.startswith("新待办：") and "部门负责人审批" in notification.title


def test_reassign_tells_the_new_holder(leave_office) -> None:
    clerk, head, deputy = leave_office
    submit_leave(clerk)
    (approve,) = api.inbox(head.id).items
    before = len(outbox_rows())
    api.reassign_task(approve.id, actor_id=head.id, to_user_id=deputy.id, reason="出差，请代为审批")
    db.session.commit()
    new = outbox_rows()[before:]
    assert [(r.channel, r.notification.user_id) for r in new] == [("sms", deputy.id)]
    assert new[0].notification.link == f"/workbench/tasks/{approve.id}"


def test_addsign_tells_the_signer_when_their_turn_comes(leave_office) -> None:
    clerk, head, deputy = leave_office
    submit_leave(clerk)
    (approve,) = api.inbox(head.id).items
    before = len(outbox_rows())
    api.add_signer(approve.id, actor_id=head.id, user_id=deputy.id, position="after", reason="会签")
    db.session.commit()
    assert len(outbox_rows()) == before  # "after": not yet the deputy's turn
    api.complete_task(approve.id, actor_id=head.id, data={"approved": True})
    db.session.commit()
    new = outbox_rows()[before:]
    assert [(r.channel, r.notification.user_id) for r in new] == [("sms", deputy.id)]
    (signer_task,) = api.inbox(deputy.id).items
    assert new[0].notification.link == f"/workbench/tasks/{signer_task.id}"


def _delegate(user: User, to: User, **options) -> None:
    now = clock.now()
    api.delegate(
        user.id,
        to.id,
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(days=3),
        **options,
    )
    db.session.commit()


@pytest.mark.parametrize(
    ("delegate_channels", "expected"),
    [(["sms"], ["sms"]), ([], [])],
)
def test_a_delegated_task_follows_the_delegates_choice(
    leave_office, delegate_channels, expected
) -> None:
    clerk, head, deputy = leave_office
    preferences.save_preferences(deputy.id, {"new_task": delegate_channels})
    _delegate(head, deputy)  # the head chose e-mail and SMS, the task now goes to the deputy
    submit_leave(clerk)
    (approve,) = api.inbox(deputy.id).items
    assert approve.delegated_from_id == head.id
    rows = outbox_rows()
    assert [r.channel for r in rows] == expected
    assert all(r.notification.user_id == deputy.id for r in rows)


def test_a_rule_for_another_process_leaves_the_task_and_its_notice_with_the_user(
    leave_office,
) -> None:
    clerk, head, deputy = leave_office
    _delegate(head, deputy, process_keys=["chuchai"])
    submit_leave(clerk)
    assert len(api.inbox(head.id).items) == 1
    assert sorted((r.channel, r.notification.user_id) for r in outbox_rows()) == [
        ("email", head.id),
        ("sms", head.id),
    ]


def test_a_single_holder_task_reads_the_choice_with_the_rules_in_one_statement(
    leave_office,
) -> None:
    clerk, _, _ = leave_office
    with statements_sent() as seen:
        submit_leave(clerk)
    reads = [s for s in seen if "notify_preference.new_task !=" in s]
    # One per created task (填写申请 at start, 部门负责人审批 on completion), each with the rules.
    assert len(reads) == 2
    assert all("engine_delegation" in s for s in reads)
    assert len(outbox_rows()) == 2  # and the head's choice still counted
