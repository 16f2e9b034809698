"""In-app notifications: write, count unread, list, mark read.

Writing one also queues the e-mail/SMS deliveries its recipient chose (``outbox.enqueue``), in
the same transaction.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, select, update

from services import clock
from services.db import db
from services.notify import outbox
from services.notify.models import Notification


def send_in_app(
    user_ids: Iterable[int],
    category: str,
    title: str,
    body: str = "",
    link: str | None = None,
    *,
    urgent: bool = False,
) -> int:
    """Queue one notification per user in the current transaction; returns how many.

    Recipients who chose e-mail or SMS for this category's kind get outbox rows too;
    ``urgent`` (特急) ones skip their quiet hours when they allowed it.
    """
    rows = [
        Notification(user_id=uid, category=category, title=title, body=body, link=link)
        for uid in dict.fromkeys(user_ids)
    ]
    db.session.add_all(rows)
    outbox.enqueue(rows, urgent=urgent)
    return len(rows)


def unread_count(user_id: int) -> int:
    """Number of unread notifications of a user (for the portal bell)."""
    stmt = select(func.count()).where(
        Notification.user_id == user_id, Notification.read_at.is_(None)
    )
    return db.session.scalar(stmt) or 0


def latest(user_id: int, limit: int = 20) -> list[Notification]:
    """The newest notifications of a user, unread first."""
    stmt = (
        select(Notification)
        .where(Notification.user_id == user_id)
        .order_by(Notification.read_at.is_not(None), Notification.created_at.desc())
        .limit(limit)
    )
    return list(db.session.scalars(stmt))


def mark_all_read(user_id: int) -> None:
    """Mark every unread notification of the user as read."""
    db.session.execute(
        update(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
        .values(read_at=clock.now())
    )
