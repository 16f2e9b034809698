"""Append to, verify and search the hash-chained audit log.

Each event's hash is SHA-256 over a canonical JSON of its fields and the previous event's hash,
so changing, inserting or deleting any row breaks the chain from that row on. ``record`` appends
inside the caller's transaction: the event is committed (or rolled back) with the action it
describes.
"""

from __future__ import annotations

import contextlib
import contextvars
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, insert, select, update

from services import clock
from services.audit.models import GENESIS_HASH, AuditEvent, AuditHead
from services.db import db
from services.org.models import User

HEAD_ID = 1
# Keys never written into ``detail``: the audit log must not become a store of secrets.
_SECRET_WORDS = ("password", "secret", "token", "otp")


@dataclass(frozen=True)
class AuditContext:
    """Who and where, for events recorded while serving one request."""

    ip: str | None = None
    user_agent: str | None = None
    user_id: int | None = None
    username: str | None = None


_context: contextvars.ContextVar[AuditContext | None] = contextvars.ContextVar(
    "audit_context", default=None
)


@contextlib.contextmanager
def audit_context(context: AuditContext) -> Iterator[None]:
    """Use ``context`` for events recorded in the block that do not name their own actor."""
    token = _context.set(context)
    try:
        yield
    finally:
        _context.reset(token)


def set_context(context: AuditContext) -> contextvars.Token[AuditContext | None]:
    """Set the context until ``reset_context(token)`` (for request hooks)."""
    return _context.set(context)


def reset_context(token: contextvars.Token[AuditContext | None]) -> None:
    """Undo ``set_context``."""
    _context.reset(token)


def record(
    action: str,
    *,
    user: User | None = None,
    ip: str | None = None,
    user_agent: str | None = None,
    object_type: str | None = None,
    object_id: str | int | None = None,
    result: str = "success",
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event to the chain in the current transaction and return it.

    Missing ``user``/``ip``/``user_agent`` are taken from the request's audit context.
    """
    ctx = _context.get() or AuditContext()
    seq, prev_hash = _claim_next_seq()
    event = AuditEvent(
        seq=seq,
        at=clock.now(),
        user_id=user.id if user is not None else ctx.user_id,
        username=user.username if user is not None else ctx.username,
        ip=ip if ip is not None else ctx.ip,
        user_agent=_clip(user_agent if user_agent is not None else ctx.user_agent, 300),
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        result=result,
        detail=_scrub(detail),
        prev_hash=prev_hash,
    )
    event.hash = event_hash(event)
    db.session.add(event)
    db.session.execute(
        update(AuditHead).where(AuditHead.id == HEAD_ID).values(last_hash=event.hash)
    )
    return event


def _claim_next_seq() -> tuple[int, str]:
    """Bump the head first: that UPDATE is the lock serialising concurrent appends."""
    stmt = (
        update(AuditHead)
        .where(AuditHead.id == HEAD_ID)
        .values(last_seq=AuditHead.last_seq + 1)
        .returning(AuditHead.last_seq, AuditHead.last_hash)
    )
    row = db.session.execute(stmt).one_or_none()
    if row is None:
        # Migration 0002 creates the head; a schema built otherwise starts the chain here.
        db.session.execute(insert(AuditHead).values(id=HEAD_ID, last_seq=1, last_hash=GENESIS_HASH))
        return 1, GENESIS_HASH
    return row[0], row[1]


def _clip(value: str | None, length: int) -> str | None:
    return value[:length] if value else value


def _scrub(detail: dict[str, Any] | None) -> dict[str, Any] | None:
    if detail is None:
        return None
    return {
        key: value
        for key, value in detail.items()
        if not any(word in key.lower() for word in _SECRET_WORDS)
    }


def event_hash(event: AuditEvent) -> str:
    """SHA-256 of the canonical JSON of every field of ``event`` except ``id`` and ``hash``."""
    fields = {
        "seq": event.seq,
        "at": clock.as_utc(event.at).isoformat(),
        "user_id": event.user_id,
        "username": event.username,
        "ip": event.ip,
        "user_agent": event.user_agent,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "result": event.result,
        "detail": event.detail,
        "prev_hash": event.prev_hash,
    }
    canonical = json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class VerifyReport:
    """Outcome of ``verify``: ``ok``, how many rows were checked and the first bad row."""

    ok: bool
    count: int
    seq: int | None = None
    event_id: int | None = None
    problem: str | None = None  # altered, deleted, inserted, truncated
    message: str = "审计日志完整"


def verify() -> VerifyReport:
    """Walk the chain in ``seq`` order and report the first altered, inserted or deleted row."""
    prev_hash, expected_seq, count = GENESIS_HASH, 1, 0
    stmt = select(AuditEvent).order_by(AuditEvent.seq).execution_options(yield_per=500)
    rows = db.session.scalars(stmt)
    try:
        for event in rows:
            problem = _check_link(event, expected_seq, prev_hash, count)
            if problem is not None:
                return problem
            prev_hash, expected_seq, count = event.hash, event.seq + 1, count + 1
    finally:
        rows.close()  # a server-side cursor on PostgreSQL: release it even when stopping early
    return _check_head(count, expected_seq - 1)


def _check_link(
    event: AuditEvent, expected_seq: int, prev_hash: str, count: int
) -> VerifyReport | None:
    def bad(problem: str, message: str) -> VerifyReport:
        return VerifyReport(False, count, event.seq, event.id, problem, message)

    if event.seq > expected_seq:
        missing = (
            f"{expected_seq}"
            if event.seq == expected_seq + 1
            else (f"{expected_seq}–{event.seq - 1}")
        )
        return bad("deleted", f"序号 {missing} 的记录缺失（已被删除），断点在序号 {event.seq} 之前")
    if event_hash(event) != event.hash:
        return bad("altered", f"序号 {event.seq} 的记录内容与其哈希不符（已被篡改）")
    if event.prev_hash != prev_hash:
        return bad("inserted", f"序号 {event.seq} 的前序哈希不符（有记录被插入或替换）")
    return None


def _check_head(count: int, last_seq: int) -> VerifyReport:
    head = db.session.get(AuditHead, HEAD_ID)
    head_seq = head.last_seq if head is not None else 0
    if head_seq > last_seq:
        message = f"链尾序号 {last_seq + 1}–{head_seq} 的记录缺失（已被删除）"
        return VerifyReport(False, count, last_seq + 1, None, "truncated", message)
    if head_seq < last_seq:
        message = f"序号 {head_seq + 1} 起的记录未登记在链头（被插入）"
        return VerifyReport(False, count, head_seq + 1, None, "inserted", message)
    return VerifyReport(True, count, message=f"审计日志完整，共 {count} 条记录")


@dataclass(frozen=True)
class AuditFilter:
    """Criteria of the audit console; empty values match everything."""

    username: str = ""
    action: str = ""
    result: str = ""
    object_text: str = ""
    since: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True)
class AuditPage:
    events: list[AuditEvent]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def _filtered(criteria: AuditFilter) -> Select[AuditEvent]:
    stmt = select(AuditEvent)
    if criteria.username:
        stmt = stmt.where(AuditEvent.username == criteria.username)
    if criteria.action:
        stmt = stmt.where(AuditEvent.action.startswith(criteria.action, autoescape=True))
    if criteria.result:
        stmt = stmt.where(AuditEvent.result == criteria.result)
    if criteria.object_text:
        kind, _, ident = criteria.object_text.partition(":")
        stmt = stmt.where(AuditEvent.object_type == kind)
        stmt = stmt.where(AuditEvent.object_id == ident) if ident else stmt
    if criteria.since is not None:
        stmt = stmt.where(AuditEvent.at >= criteria.since)
    if criteria.until is not None:
        stmt = stmt.where(AuditEvent.at < criteria.until)
    return stmt


def search(criteria: AuditFilter, page: int = 1, per_page: int = 50) -> AuditPage:
    """One page of matching events, newest first."""
    stmt = _filtered(criteria)
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    page = max(1, page)
    rows = db.session.scalars(
        stmt.order_by(AuditEvent.seq.desc()).offset((page - 1) * per_page).limit(per_page)
    )
    return AuditPage(list(rows), total, page, per_page)


def export_rows(criteria: AuditFilter) -> Iterator[AuditEvent]:
    """All matching events in chain order, streamed (for CSV export)."""
    stmt = _filtered(criteria).order_by(AuditEvent.seq).execution_options(yield_per=500)
    rows = db.session.scalars(stmt)
    try:
        yield from rows
    finally:
        rows.close()
