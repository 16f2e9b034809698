"""Sending the claimed rows of a delivery queue: one send each, retried with backoff.

The notification outbox and the intake callbacks keep their rows the same way (``id``,
``status`` pending/claimed/sent/failed, ``attempts``, ``due_at``, ``claimed_by``,
``claimed_at``, ``sent_at``, ``last_error``); a :class:`Queue` names the table and its retry
rules, and the functions here do the bookkeeping. A send runs outside any transaction (the
network may be slow); its row is then marked, only if this worker still holds the claim. A
failed send is retried after ``base_seconds * 2**(n-1)``; after ``max_attempts`` the row is
``failed``, kept and listed until an administrator puts it back with :func:`retry_failed`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select, update

from services import claims, clock
from services.config import Settings, current_settings
from services.db import db

CLAIM_TIMEOUT = timedelta(minutes=10)


@dataclass(frozen=True)
class RetryPolicy:
    """How often a failed send is tried again, and how long after each failure."""

    max_attempts: int
    base_seconds: float

    def delay(self, attempts: int) -> timedelta:
        """The wait after the ``attempts``-th failure: doubles each time."""
        return timedelta(seconds=self.base_seconds * 2 ** (attempts - 1))


@dataclass(frozen=True)
class Queue:
    """One delivery queue: its table, what a failed send raises, and its retry rules.

    The rules are the settings ``<settings_prefix>_max_attempts`` and
    ``<settings_prefix>_retry_base_seconds``, read at each failure. A failure is logged on the
    logger ``logger_name`` with ``failure_message`` % (attempts, row id, error).
    """

    model: Any
    error: type[Exception]  # a send raising it is retried; anything else propagates
    settings_prefix: str
    failure_message: str
    logger_name: str

    def __post_init__(self) -> None:
        known = {field.name for field in fields(Settings)}
        for suffix in ("_max_attempts", "_retry_base_seconds"):
            if self.settings_prefix + suffix not in known:  # a typo fails at import, not later
                raise ValueError(f"no setting {self.settings_prefix + suffix}")

    def retry_policy(self) -> RetryPolicy:
        """The retry rules as configured now."""
        settings = current_settings()
        return RetryPolicy(
            getattr(settings, f"{self.settings_prefix}_max_attempts"),
            getattr(settings, f"{self.settings_prefix}_retry_base_seconds"),
        )

    def failed_rows(self, limit: int = 100) -> list[Any]:
        """The rows that gave up (newest first), for an administrator to look at."""
        model = self.model
        stmt = select(model).where(model.status == "failed").order_by(model.id.desc()).limit(limit)
        return list(db.session.scalars(stmt))

    def retry_failed(self, ids: Iterable[int] | None = None) -> int:
        """Put failed rows (all, or those of ``ids``) back in the queue, due now (no commit)."""
        stmt = update(self.model).where(self.model.status == "failed")
        if ids is not None:
            stmt = stmt.where(self.model.id.in_(list(ids)))
        result = db.session.execute(
            stmt.values(
                status="pending", attempts=0, due_at=clock.now(), claimed_by=None
            ).execution_options(synchronize_session=False)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]

    def counts(self) -> dict[str, int]:
        """Rows per status (pending, claimed, sent, failed)."""
        status = self.model.status
        rows = db.session.execute(select(status, func.count()).group_by(status))
        return {name: int(n) for name, n in rows}


# A send prepared from its row while the row is loaded, run after the transaction ends.
Send = Callable[[], None]


def dispatch_due(
    queue: Queue, prepare: Callable[[Any], Send], limit: int, worker_id: str | None
) -> int:
    """Claim up to ``limit`` due rows and send each; how many were sent. A job: it commits."""
    worker = worker_id or claims.default_worker_id()
    ids = claims.claim_due(queue.model, limit, worker, CLAIM_TIMEOUT)
    return sum(send_one(queue, prepare, row_id, worker) for row_id in ids)


def send_one(queue: Queue, prepare: Callable[[Any], Send], row_id: int, worker: str) -> int:
    """Send one claimed row outside any transaction, then mark it; 1 when it went out."""
    row = db.session.get(queue.model, row_id)
    if row is None:
        return 0
    send = prepare(row)
    db.session.commit()  # no transaction stays open while the network is slow
    try:
        send()
    except queue.error as exc:
        record_failure(queue, row_id, worker, str(exc))
        return 0
    return mark(queue.model, row_id, worker, status="sent", sent_at=clock.now(), last_error=None)


def mark(model: Any, row_id: int, worker: str, **values: object) -> int:
    """Set ``values`` on a row ``worker`` still holds, unclaim it and commit; 1 if it did."""
    result = db.session.execute(
        update(model)
        .where(model.id == row_id, model.status == "claimed", model.claimed_by == worker)
        .values(claimed_by=None, **values)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return int(result.rowcount == 1)  # type: ignore[attr-defined]


def record_failure(queue: Queue, row_id: int, worker: str, error: str) -> None:
    """Count a failed send: due again after the backoff delay, or ``failed`` at the limit."""
    policy = queue.retry_policy()
    row = db.session.get(queue.model, row_id)
    attempts = (row.attempts if row is not None else 0) + 1
    logging.getLogger(queue.logger_name).warning(queue.failure_message, attempts, row_id, error)
    values: dict[str, object] = {"attempts": attempts, "last_error": error[:500]}
    if attempts >= policy.max_attempts:
        mark(queue.model, row_id, worker, status="failed", **values)
        return
    due_at = clock.now() + policy.delay(attempts)
    mark(queue.model, row_id, worker, status="pending", due_at=due_at, **values)
