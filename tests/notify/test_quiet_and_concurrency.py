"""Quiet hours defer e-mail/SMS (not in-app); two dispatchers send each row exactly once."""

from __future__ import annotations

from datetime import UTC, datetime

from services import clock
from services.db import db
from services.notify import inapp, outbox, preferences
from tests.notify.helpers import outbox_rows, recipient
from tests.support.concurrent_workers import run_workers

# 23:00 Beijing time.
LATE_EVENING = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


def _quiet_user():
    user = recipient(reminder=["email"])
    preferences.save_preferences(user.id, {"reminder": ["email"]}, "22:00", "07:00")
    db.session.commit()
    return user


def test_quiet_hours_defer_email_to_the_end_of_the_window(app, mailbox, frozen_clock) -> None:
    box, _ = mailbox
    frozen_clock.current = LATE_EVENING
    user = _quiet_user()
    inapp.send_in_app([user.id], "remind", "催办：夜间事项")
    db.session.commit()

    assert inapp.unread_count(user.id) == 1  # in-app at once
    assert clock.as_utc(outbox_rows()[0].due_at) == datetime(2026, 3, 2, 23, 0, tzinfo=UTC)
    frozen_clock.advance(hours=7, minutes=59)
    assert outbox.dispatch_due() == 0 and box.messages == []
    frozen_clock.advance(minutes=1)  # 07:00 Beijing
    assert outbox.dispatch_due() == 1 and len(box.messages) == 1


def test_urgent_bypasses_quiet_hours_unless_the_user_refused(app, frozen_clock) -> None:
    frozen_clock.current = LATE_EVENING
    user = _quiet_user()
    inapp.send_in_app([user.id], "remind", "特急：防汛通知", urgent=True)
    db.session.commit()
    assert clock.as_utc(outbox_rows()[0].due_at) == LATE_EVENING

    preferences.save_preferences(user.id, {"reminder": ["email"]}, "22:00", "07:00", False)
    inapp.send_in_app([user.id], "remind", "特急：第二份", urgent=True)
    db.session.commit()
    assert clock.as_utc(outbox_rows()[1].due_at) > LATE_EVENING


def test_outside_quiet_hours_is_immediate(app, frozen_clock) -> None:
    frozen_clock.current = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # 10:00 Beijing
    user = _quiet_user()
    inapp.send_in_app([user.id], "remind", "催办：白天事项")
    db.session.commit()
    assert clock.as_utc(outbox_rows()[0].due_at) == frozen_clock.current


def test_two_dispatchers_send_every_row_exactly_once(app, mailbox) -> None:
    box, _ = mailbox
    users = [recipient(f"user{i}", reminder=["email"]) for i in range(12)]
    for user in users:
        inapp.send_in_app([user.id], "remind", f"催办：{user.username}")
    db.session.commit()
    sent = run_workers(app, lambda name: outbox.dispatch_due(limit=100, worker_id=name))
    assert sum(sent) == 12
    assert len(box.messages) == 12
    assert {r.status for r in outbox_rows()} == {"sent"}
