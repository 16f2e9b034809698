"""E-mail to a real SMTP server, SMS to a local HTTP gateway, through the outbox."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from email import message_from_bytes, policy

from services import clock
from services.config import current_settings, install
from services.db import db
from services.notify import inapp, outbox
from tests.notify.conftest import API_KEY, SIGN, free_port
from tests.notify.helpers import outbox_rows, recipient


def test_email_arrives_with_chinese_subject(app, mailbox) -> None:
    box, _ = mailbox
    user = recipient(reminder=["email"])
    inapp.send_in_app([user.id], "remind", "催办：请假审批（张三）", "请尽快办理")
    db.session.commit()
    assert [r.status for r in outbox_rows()] == ["pending"]

    assert outbox.dispatch_due() == 1

    assert len(box.messages) == 1
    mail = message_from_bytes(box.messages[0], policy=policy.default)
    assert mail["Subject"] == "催办：请假审批（张三）"
    assert mail["To"] == "zhang@example.gov.cn"
    assert "请尽快办理" in mail.get_content()
    row = outbox_rows()[0]
    assert row.status == "sent" and row.sent_at is not None and row.attempts == 0
    assert outbox.dispatch_due() == 0  # nothing sent twice


def test_sms_reaches_gateway_with_json_and_key(app, gateway) -> None:
    user = recipient(new_task=["sms"])
    inapp.send_in_app([user.id], "task", "新待办：签收（关于春季防火的通知）", "请签收")
    db.session.commit()

    assert outbox.dispatch_due() == 1

    assert len(gateway.requests) == 1
    request = gateway.requests[0]
    assert request["key"] == API_KEY
    assert request["json"] == {
        "phone": "13800138000",
        "text": "新待办：签收（关于春季防火的通知）：请签收",
        "sign": SIGN,
    }


def test_only_chosen_kinds_and_known_addresses_are_queued(app) -> None:
    user = recipient(reminder=["email", "sms"])
    no_mail = recipient("li", reminder=["email"])
    no_mail.email = None
    db.session.commit()
    inapp.send_in_app(
        [user.id, no_mail.id], "circulation", "传阅：会议纪要"
    )  # new_task: not chosen
    inapp.send_in_app([user.id, no_mail.id], "security", "账号锁定告警")  # in-app only category
    inapp.send_in_app([user.id, no_mail.id], "urge", "催办：请假")
    db.session.commit()

    rows = outbox_rows()
    assert sorted((r.channel, r.address) for r in rows) == [
        ("email", "zhang@example.gov.cn"),
        ("sms", "13800138000"),
    ]
    assert inapp.unread_count(user.id) == 3 and inapp.unread_count(no_mail.id) == 3


def test_gateway_error_is_retried_with_backoff_and_sent_once(app, gateway, frozen_clock) -> None:
    gateway.statuses = [500]
    user = recipient(overdue=["sms"])
    inapp.send_in_app([user.id], "escalate", "逾期：发文核稿")
    db.session.commit()

    assert outbox.dispatch_due() == 0
    row = outbox_rows()[0]
    assert (row.status, row.attempts) == ("pending", 1)
    assert "HTTP 500" in (row.last_error or "")
    assert clock.as_utc(row.due_at) == frozen_clock.current + timedelta(seconds=60)
    assert outbox.dispatch_due() == 0  # not due yet

    frozen_clock.advance(seconds=60)
    assert outbox.dispatch_due() == 1
    assert [r["status"] for r in gateway.requests] == [500, 200]
    assert len(gateway.accepted) == 1
    assert outbox_rows()[0].status == "sent"


def test_smtp_down_backs_off_then_fails_and_can_be_retried(app, mailbox, frozen_clock) -> None:
    box, port = mailbox
    install(dataclasses.replace(current_settings(), notify_smtp_port=free_port()))
    user = recipient(reminder=["email"])
    inapp.send_in_app([user.id], "remind", "催办：收文办理")
    db.session.commit()

    delays = []
    for _ in range(3):
        before = frozen_clock.current
        assert outbox.dispatch_due() == 0
        row = outbox_rows()[0]
        delays.append((clock.as_utc(row.due_at) - before).total_seconds())
        frozen_clock.advance(hours=1)
    row = outbox_rows()[0]
    assert (row.status, row.attempts) == ("failed", 3)
    assert delays[:2] == [60, 120]  # exponential: 60 s, then 120 s
    assert "ConnectionRefusedError" in (row.last_error or "")
    assert [r.id for r in outbox.failed_messages()] == [row.id]

    install(dataclasses.replace(current_settings(), notify_smtp_port=port))
    assert outbox.retry_failed() == 1
    db.session.commit()
    assert outbox.dispatch_due() == 1
    assert len(box.messages) == 1
    assert outbox.counts() == {"sent": 1}
