"""Claiming due rows of a work queue so that two workers never take the same row.

Used by every queue whose rows have ``id``, ``status`` (pending/claimed/...), ``claimed_by``,
``claimed_at`` and (mostly) ``due_at``: the notification outbox, the intake callbacks and the
engine's timers, start timers and messages. A row is claimable when pending, or claimed longer
than ``timeout`` ago by a worker that died (and, for timed queues, due). PostgreSQL takes the rows
with ``FOR UPDATE SKIP LOCKED``; SQLite, which has no row locks, with one conditional ``UPDATE``
per candidate (only one worker's UPDATE matches).
"""

from __future__ import annotations

import os
import socket
import threading
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, case, or_, select, update

from services import clock
from services.db import db


def default_worker_id() -> str:
    """Host, process and thread: names the claimer of a row."""
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


def claim_due(model: Any, limit: int, worker: str, timeout: timedelta) -> list[int]:
    """Mark up to ``limit`` due rows of ``model`` claimed by ``worker`` and commit; their ids."""
    now = clock.now()
    claimable = due_claimable(model, now, timeout)
    due = select(model).where(claimable).order_by(model.due_at, model.id).limit(limit)
    claimed = claim_rows(model, due, claimable, worker, now)
    db.session.commit()
    return claimed


def unclaimed(model: Any, now: datetime, timeout: timedelta) -> ColumnElement[bool]:
    """Rows free to claim: pending, or claimed before ``now - timeout`` by a worker that died."""
    stale = (model.status == "claimed") & (model.claimed_at < now - timeout)
    return or_(model.status == "pending", stale)


def due_claimable(model: Any, now: datetime, timeout: timedelta) -> ColumnElement[bool]:
    """:func:`unclaimed` rows whose ``due_at`` has come."""
    return unclaimed(model, now, timeout) & (model.due_at <= now)


def claim_rows(
    model: Any, due: Select[Any], claimable: ColumnElement[bool], worker: str, now: datetime
) -> list[int]:
    """Mark the rows of ``due`` (a select of ``model``) claimed by ``worker``; their ids.

    No commit. PostgreSQL: ``FOR UPDATE SKIP LOCKED``, so concurrent workers take disjoint rows.
    SQLite has no row locks: an atomic conditional UPDATE per row (``claimable`` still true)
    decides.
    """
    if db.engine.dialect.name != "sqlite":
        rows = list(db.session.scalars(due.with_for_update(skip_locked=True, of=model)))
        for row in rows:
            row.status, row.claimed_by, row.claimed_at = "claimed", worker, now
        return [row.id for row in rows]
    candidates = list(db.session.scalars(due.with_only_columns(model.id)))
    # End the read: a WAL reader whose snapshot is stale cannot become a writer (SQLITE_BUSY),
    # while a transaction that starts with the UPDATE waits for the lock instead.
    db.session.commit()
    claimed = []
    for row_id in candidates:
        result = db.session.execute(
            update(model)
            .where(model.id == row_id, claimable)
            .values(status="claimed", claimed_by=worker, claimed_at=now)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount == 1:  # type: ignore[attr-defined]
            claimed.append(row_id)
    return claimed


def release_after_failure(model: Any, row_id: int, error: str, max_attempts: int) -> None:
    """Write a failed attempt on a claimed row, unclaimed, in one UPDATE (no commit).

    ``attempts`` grows by one; the row is ``failed`` once it reaches ``max_attempts``, else
    ``pending`` again. One UPDATE: on SQLite a transaction that starts by reading may not be able
    to write.
    """
    db.session.execute(
        update(model)
        .where(model.id == row_id)
        .values(
            attempts=model.attempts + 1,
            last_error=error[:2000],
            claimed_by=None,
            status=case((model.attempts + 1 >= max_attempts, "failed"), else_="pending"),
        )
        .execution_options(synchronize_session=False)
    )
