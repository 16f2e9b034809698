"""Claiming due rows of a delivery queue so that two workers never take the same row.

Used by the queues whose rows have ``id``, ``status`` (pending/claimed/...), ``claimed_by``,
``claimed_at`` and ``due_at``: the notification outbox and the intake callbacks. A row is
claimable when pending, or claimed longer than ``timeout`` ago by a worker that died, and due.
PostgreSQL takes the rows with ``FOR UPDATE SKIP LOCKED``; SQLite, which has no row locks, with
one conditional ``UPDATE`` per candidate (only one worker's UPDATE matches).
"""

from __future__ import annotations

import os
import socket
import threading
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, or_, select, update

from services import clock
from services.db import db


def default_worker_id() -> str:
    """Host, process and thread: names the claimer of a row."""
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


def claim_due(model: Any, limit: int, worker: str, timeout: timedelta) -> list[int]:
    """Mark up to ``limit`` due rows of ``model`` claimed by ``worker`` and commit; their ids."""
    now = clock.now()
    claimable = _claimable(model, now, timeout)
    due = select(model).where(claimable).order_by(model.due_at, model.id).limit(limit)
    if db.engine.dialect.name != "sqlite":
        rows = list(db.session.scalars(due.with_for_update(skip_locked=True)))
        for row in rows:
            row.status, row.claimed_by, row.claimed_at = "claimed", worker, now
        claimed = [row.id for row in rows]
    else:
        claimed = _claim_sqlite(model, due, claimable, worker, now)
    db.session.commit()
    return claimed


def _claimable(model: Any, now: datetime, timeout: timedelta) -> ColumnElement[bool]:
    stale = (model.status == "claimed") & (model.claimed_at < now - timeout)
    return or_(model.status == "pending", stale) & (model.due_at <= now)


def _claim_sqlite(
    model: Any, due: Select[Any], claimable: ColumnElement[bool], worker: str, now: datetime
) -> list[int]:
    candidates = list(db.session.scalars(due.with_only_columns(model.id)))
    db.session.commit()  # end the read: the UPDATEs below wait for the write lock instead
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
