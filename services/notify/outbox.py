"""The outbox: e-mail and SMS deliveries queued with their notification, sent by a job.

``enqueue`` adds one ``OutboxMessage`` per (notification, chosen channel) in the caller's
transaction, so a delivery exists exactly when its notification does. ``dispatch_due`` (run by
the scheduler, ``oa scheduler``) claims due rows (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, a
conditional ``UPDATE`` on SQLite) and commits the claim, sends outside any transaction, then
marks the row sent. A failure is retried after ``notify_retry_base_seconds * 2**(n-1)``; after
``notify_max_attempts`` the row is ``failed`` (kept, listed, retried by ``retry_failed``).

Two dispatchers never send the same row. A dispatcher that dies between sending and marking
leaves a ``claimed`` row, claimable again after ``delivery.CLAIM_TIMEOUT``: that one message may
go out twice, the price of never losing one. The claim/send/retry bookkeeping is
:mod:`services.delivery`'s, shared with the intake callbacks.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select

from services import clock, delivery
from services.config import Settings, current_settings
from services.db import db
from services.notify.channels import DeliveryError, OutboundMessage, get_channel
from services.notify.models import Notification, OutboxMessage
from services.notify.preferences import KIND_OF_CATEGORY, Preferences, preferences_of, quiet_until
from services.org.models import User


def enqueue(notifications: Iterable[Notification], *, urgent: bool = False) -> int:
    """Queue the e-mail/SMS deliveries the recipients chose (unflushed; the caller commits)."""
    by_kind = [(n, KIND_OF_CATEGORY.get(n.category)) for n in notifications]
    wanted = [(n, kind) for n, kind in by_kind if kind is not None]
    if not wanted:
        return 0
    prefs = preferences_of({n.user_id for n, _ in wanted})
    if not prefs:
        return 0  # nobody chose an external channel: no user query either
    settings, now = current_settings(), clock.now()
    contacts = _contacts(prefs)
    queued = 0
    for notification, kind in wanted:
        pref = prefs.get(notification.user_id)
        if pref is not None and kind is not None:
            due = _due_at(pref, now, urgent)
            for channel_name in pref.channels_for(kind):
                queued += _add(notification, channel_name, contacts, settings, due)
    return queued


def _contacts(prefs: dict[int, Preferences]) -> dict[int, tuple[str | None, str | None]]:
    rows = db.session.execute(
        select(User.id, User.email, User.mobile).where(User.id.in_(list(prefs)))
    )
    return {uid: (email, mobile) for uid, email, mobile in rows}


def _due_at(pref: Preferences, now: datetime, urgent: bool) -> datetime:
    if urgent and pref.urgent_bypass:
        return now
    return quiet_until(pref, now) or now


def _add(
    notification: Notification,
    channel_name: str,
    contacts: dict[int, tuple[str | None, str | None]],
    settings: Settings,
    due: datetime,
) -> int:
    channel = get_channel(channel_name)
    address = channel.address_of(*contacts.get(notification.user_id, (None, None)))
    if address is None or not channel.configured(settings):
        return 0  # no address on the user record, or channel off: in-app only
    db.session.add(
        OutboxMessage(
            notification=notification,
            channel=channel_name,
            address=address,
            subject=notification.title,
            body=notification.body,
            due_at=due,
        )
    )
    return 1


QUEUE = delivery.Queue(
    OutboxMessage, DeliveryError, "notify", "通知发送失败（第 %s 次，outbox #%s）：%s", __name__
)


def dispatch_due(limit: int = 100, worker_id: str | None = None) -> int:
    """Send up to ``limit`` due messages; returns how many were sent. A job: it commits."""
    return delivery.dispatch_due(QUEUE, _prepare, limit, worker_id)


def _prepare(row: OutboxMessage) -> delivery.Send:
    channel_name = row.channel
    message = OutboundMessage(row.address, row.subject, row.body)
    return lambda: _send(channel_name, message)


def _send(channel_name: str, message: OutboundMessage) -> None:
    try:
        get_channel(channel_name).send(message, current_settings())
    except DeliveryError:
        raise
    except Exception as exc:  # a broken channel adapter must not stop the queue
        db.session.rollback()
        raise DeliveryError(f"{type(exc).__name__}: {exc}") from exc


# For administrators (``oa`` commands): the rows that gave up, putting them back, the queue's size.
failed_messages = QUEUE.failed_rows
retry_failed = QUEUE.retry_failed
counts = QUEUE.counts
