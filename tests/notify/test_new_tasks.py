"""新待办 notifications: one SELECT and no write for the default user; e-mail/SMS through the
outbox for the users who chose them (quiet hours, urgent bypass, retried on a failing gateway)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from email import message_from_bytes, policy

import pytest
from sqlalchemy import func, select

from services import clock
from services.config import ConfigError, current_settings, install, load_settings
from services.db import db
from services.notify import inapp, outbox, preferences
from services.notify.models import Notification
from services.notify.new_tasks import NewTask, queue_new_tasks
from tests.auth.helpers import make_user
from tests.notify.helpers import outbox_rows, recipient
from tests.support.sql_statements import statements_sent

LATE_EVENING = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)  # 23:00 Beijing time
QUIET_END = datetime(2026, 3, 2, 23, 0, tzinfo=UTC)  # 07:00 Beijing time


def task(task_id: int, *users: int, urgent: bool = False) -> NewTask:
    return NewTask(task_id, tuple(users), f"新待办：领导批示（通知{task_id}）", urgent)


def notification_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Notification)) or 0


def test_users_without_a_channel_cost_one_select_and_no_write(app) -> None:
    plain = [make_user(f"user{n}").id for n in range(3)]
    reminders_only = recipient("wang", reminder=["email"]).id  # new_task not chosen
    db.session.commit()
    tasks = [task(n, *plain, reminders_only) for n in range(1, 21)]

    with statements_sent() as seen:
        assert queue_new_tasks(tasks) == 0
        db.session.flush()

    assert len(seen) == 1 and seen[0].lstrip().upper().startswith("SELECT")
    assert notification_count() == 0 and outbox_rows() == []


def test_no_task_costs_nothing(app) -> None:
    with statements_sent() as seen:
        assert queue_new_tasks([]) == 0
        assert queue_new_tasks([task(1)]) == 0
    assert seen == []


def test_email_and_sms_go_to_the_users_who_chose_them(app, mailbox, gateway) -> None:
    box, _ = mailbox
    install(dataclasses.replace(current_settings(), notify_link_base="https://oa.example.gov.cn/"))
    mail_user = recipient("zhang", new_task=["email"])
    sms_user = recipient("li", new_task=["sms"])
    plain = make_user("zhao")
    db.session.commit()

    queued = queue_new_tasks([task(7, mail_user.id), task(8, sms_user.id, plain.id, sms_user.id)])
    db.session.commit()

    assert queued == 2
    rows = list(db.session.scalars(select(Notification).order_by(Notification.id)))
    assert [(n.user_id, n.category, n.link) for n in rows] == [
        (mail_user.id, "task", "/workbench/tasks/7"),
        (sms_user.id, "task", "/workbench/tasks/8"),
    ]
    # The to-do count is the in-app signal: the bell's unread badge does not move.
    assert inapp.unread_count(mail_user.id) == 0 and inapp.unread_count(plain.id) == 0
    assert outbox.dispatch_due() == 2
    mail = message_from_bytes(box.messages[0], policy=policy.default)
    assert mail["Subject"] == "新待办：领导批示（通知7）"
    assert "https://oa.example.gov.cn/workbench/tasks/7" in mail.get_content()
    (request,) = gateway.requests
    assert request["json"]["phone"] == "13800138000"
    assert request["json"]["text"] == (
        "新待办：领导批示（通知8）：请登录平台办理：https://oa.example.gov.cn/workbench/tasks/8"
    )


@pytest.mark.parametrize(
    ("urgent", "bypass", "due"),
    [(False, True, QUIET_END), (True, True, LATE_EVENING), (True, False, QUIET_END)],
)
def test_quiet_hours_defer_unless_urgent_and_allowed(
    app, frozen_clock, urgent: bool, bypass: bool, due: datetime
) -> None:
    frozen_clock.current = LATE_EVENING
    user = recipient(new_task=["email"])
    preferences.save_preferences(user.id, {"new_task": ["email"]}, "22:00", "07:00", bypass)
    db.session.commit()

    assert queue_new_tasks([task(3, user.id, urgent=urgent)]) == 1
    db.session.commit()

    assert clock.as_utc(outbox_rows()[0].due_at) == due


def test_mixed_urgency_in_one_call(app, frozen_clock) -> None:
    frozen_clock.current = LATE_EVENING
    user = recipient(new_task=["email", "sms"])
    preferences.save_preferences(user.id, {"new_task": ["email", "sms"]}, "22:00", "07:00")
    db.session.commit()

    assert queue_new_tasks([task(1, user.id), task(2, user.id, urgent=True)]) == 4
    db.session.commit()

    due = {(row.notification.link, row.channel): clock.as_utc(row.due_at) for row in outbox_rows()}
    assert due == {
        ("/workbench/tasks/1", "email"): QUIET_END,
        ("/workbench/tasks/1", "sms"): QUIET_END,
        ("/workbench/tasks/2", "email"): LATE_EVENING,
        ("/workbench/tasks/2", "sms"): LATE_EVENING,
    }


def test_a_failing_gateway_loses_nothing(app, gateway, frozen_clock) -> None:
    gateway.statuses = [503, 500]
    user = recipient(new_task=["sms"])
    assert queue_new_tasks([task(5, user.id)]) == 1
    db.session.commit()

    assert outbox.dispatch_due() == 0
    (row,) = outbox_rows()
    assert (row.status, row.attempts) == ("pending", 1)
    frozen_clock.advance(seconds=59)
    assert outbox.dispatch_due() == 0  # not due yet: 60 s after the first failure
    frozen_clock.advance(seconds=1)
    assert outbox.dispatch_due() == 0  # the gateway fails again: 120 s more
    frozen_clock.advance(seconds=120)
    assert outbox.dispatch_due() == 1

    assert [r["status"] for r in gateway.requests] == [503, 500, 200]
    assert "/workbench/tasks/5" in gateway.accepted[0]["json"]["text"]
    assert [(r.status, r.attempts) for r in outbox_rows()] == [("sent", 2)]


def test_link_base_must_be_a_web_address(tmp_path) -> None:
    with pytest.raises(ConfigError, match="NOTIFY_LINK_BASE"):
        load_settings(environ={}, var_dir=tmp_path, notify_link_base="oa.example.gov.cn")
    settings = load_settings(environ={}, var_dir=tmp_path, notify_link_base="https://oa.gov.cn")
    assert settings.notify_link_base == "https://oa.gov.cn"
