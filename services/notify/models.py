"""Notifications: in-app messages under the portal bell, the outbox of e-mail/SMS deliveries,
and each user's channel preferences."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from services import clock
from services.db import UTCDateTime, db


class Notification(db.Model):  # type: ignore[name-defined]
    __tablename__ = "notify_notification"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("org_user.id"), index=True)
    category: Mapped[str] = mapped_column(String(30))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    link: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now, index=True)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class OutboxMessage(db.Model):  # type: ignore[name-defined]
    """One delivery of a notification over one external channel (e-mail, SMS).

    Written in the same transaction as its ``Notification``, so a message is never lost between
    the business change and the send. Status: pending -> claimed -> sent, or back to pending
    with a later ``due_at`` after a failure, or ``failed`` after the last attempt.
    """

    __tablename__ = "notify_outbox"
    __table_args__ = (Index("ix_notify_outbox_status_due", "status", "due_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    notification_id: Mapped[int] = mapped_column(ForeignKey("notify_notification.id"), index=True)
    channel: Mapped[str] = mapped_column(String(20))
    address: Mapped[str] = mapped_column(String(120))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    claimed_by: Mapped[str | None] = mapped_column(String(200))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    notification: Mapped[Notification] = relationship()


class NotifyPreference(db.Model):  # type: ignore[name-defined]
    """A user's choice of external channels per kind of notification, and quiet hours.

    Channel lists are comma-separated channel names (``"email,sms"``); quiet hours are
    ``HH:MM`` in Beijing time, both empty when the user has none.
    """

    __tablename__ = "notify_preference"

    user_id: Mapped[int] = mapped_column(ForeignKey("org_user.id"), primary_key=True)
    new_task: Mapped[str] = mapped_column(String(60), default="")
    reminder: Mapped[str] = mapped_column(String(60), default="")
    overdue: Mapped[str] = mapped_column(String(60), default="")
    quiet_start: Mapped[str | None] = mapped_column(String(5))
    quiet_end: Mapped[str | None] = mapped_column(String(5))
    urgent_bypass: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
