"""The outbox: e-mail and SMS deliveries queued with their notification, sent by a job.

``enqueue`` adds one ``OutboxMessage`` per (notification, chosen channel) in the caller's
transaction, so a delivery exists exactly when its notification does. ``dispatch_due`` (run by
the scheduler, ``oa scheduler``) claims due rows (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, a
conditional ``UPDATE`` on SQLite) and commits the claim, sends outside any transaction, then
marks the row sent. A failure is retried after ``notify_retry_base_seconds * 2**(n-1)``; after
``notify_max_attempts`` the row is ``failed`` (kept, listed, retried by ``retry_failed``).

Two dispatchers never send the same row. A dispatcher that dies between sending and marking
leaves a ``claimed`` row, claimable again after ``CLAIM_TIMEOUT``: that one message may go out
twice, the price of never losing one.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import func, select, update

from services import claims, clock
from services.config import Settings, current_settings
from services.db import db
from services.notify.channels import DeliveryError, OutboundMessage, get_channel
from services.notify.models import Notification, OutboxMessage
from services.notify.preferences import KIND_OF_CATEGORY, Preferences, preferences_of, quiet_until
from services.org.models import User

CLAIM_TIMEOUT = timedelta(minutes=10)
log = logging.getLogger(__name__)


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


def dispatch_due(limit: int = 100, worker_id: str | None = None) -> int:
    """Send up to ``limit`` due messages; returns how many were sent. A job: it commits."""
    worker = worker_id or claims.default_worker_id()
    return sum(_send_one(row_id, worker) for row_id in claim_due(limit, worker))


def claim_due(limit: int, worker: str) -> list[int]:
    """Mark up to ``limit`` due rows claimed by ``worker`` and commit; their ids."""
    return claims.claim_due(OutboxMessage, limit, worker, CLAIM_TIMEOUT)


def _send_one(row_id: int, worker: str) -> int:
    row = db.session.get(OutboxMessage, row_id)
    if row is None:
        return 0
    channel_name = row.channel
    message = OutboundMessage(row.address, row.subject, row.body)
    db.session.commit()  # no transaction stays open while the network is slow
    try:
        get_channel(channel_name).send(message, current_settings())
    except DeliveryError as exc:
        _record_failure(row_id, worker, str(exc))
        return 0
    except Exception as exc:  # a broken channel adapter must not stop the queue
        db.session.rollback()
        _record_failure(row_id, worker, f"{type(exc).__name__}: {exc}")
        return 0
    return _mark(row_id, worker, status="sent", sent_at=clock.now(), last_error=None)


def _mark(row_id: int, worker: str, **values: object) -> int:
    result = db.session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id == row_id,
            OutboxMessage.status == "claimed",
            OutboxMessage.claimed_by == worker,
        )
        .values(claimed_by=None, **values)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return int(result.rowcount == 1)  # type: ignore[attr-defined]


def _record_failure(row_id: int, worker: str, error: str) -> None:
    settings = current_settings()
    row = db.session.get(OutboxMessage, row_id)
    attempts = (row.attempts if row is not None else 0) + 1
    log.warning("通知发送失败（第 %s 次，outbox #%s）：%s", attempts, row_id, error)
    if attempts >= settings.notify_max_attempts:
        _mark(row_id, worker, status="failed", attempts=attempts, last_error=error[:500])
        return
    delay = timedelta(seconds=settings.notify_retry_base_seconds * 2 ** (attempts - 1))
    _mark(
        row_id,
        worker,
        status="pending",
        attempts=attempts,
        last_error=error[:500],
        due_at=clock.now() + delay,
    )


def failed_messages(limit: int = 100) -> list[OutboxMessage]:
    """The rows that gave up (newest first), for an administrator to look at."""
    stmt = (
        select(OutboxMessage)
        .where(OutboxMessage.status == "failed")
        .order_by(OutboxMessage.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(stmt))


def retry_failed(ids: Iterable[int] | None = None) -> int:
    """Put failed rows (all, or those of ``ids``) back in the queue, due now; the caller commits."""
    stmt = update(OutboxMessage).where(OutboxMessage.status == "failed")
    if ids is not None:
        stmt = stmt.where(OutboxMessage.id.in_(list(ids)))
    result = db.session.execute(
        stmt.values(
            status="pending", attempts=0, due_at=clock.now(), claimed_by=None
        ).execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def counts() -> dict[str, int]:
    """Rows per status (pending, claimed, sent, failed)."""
    rows = db.session.execute(
        select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
    )
    return {status: int(n) for status, n in rows}
