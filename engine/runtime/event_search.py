"""Search the event logs of all instances at once: the auditor's 流程审计 listing and export.

``history`` answers per instance; an auditor asks across instances ("what did this person do
last week", "every 退回 in 发文"). Reads only: the events are joined to their instance for the
process key, 文号 (business key) and title, newest first for pages and oldest first for export.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select

from engine.runtime.inbox import Page
from engine.runtime.models import InstanceEvent, ProcessInstance
from services import clock
from services.db import db


@dataclass(frozen=True)
class EventFilters:
    """Criteria of an event search; empty values match everything.

    ``since`` is inclusive and ``until`` exclusive (UTC instants: the caller turns Beijing dates
    into them); ``business_key`` matches any part of the 文号.
    """

    actor_id: int | None = None
    process_key: str = ""
    instance_id: int | None = None
    business_key: str = ""
    kinds: tuple[str, ...] = ()
    since: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True)
class EventRow:
    """One event with the instance it belongs to, as listed and exported."""

    id: int
    instance_id: int
    seq: int
    at: datetime
    actor_id: int | None
    kind: str
    task_spec: str | None
    task_name: str | None
    data: dict[str, Any]
    process_key: str
    business_key: str | None
    title: str


def _filtered(filters: EventFilters) -> Select[InstanceEvent, str, str | None, str]:
    stmt = select(
        InstanceEvent,
        ProcessInstance.process_key,
        ProcessInstance.business_key,
        ProcessInstance.title,
    ).join(ProcessInstance, ProcessInstance.id == InstanceEvent.instance_id)
    if filters.actor_id is not None:
        stmt = stmt.where(InstanceEvent.actor_id == filters.actor_id)
    if filters.process_key:
        stmt = stmt.where(ProcessInstance.process_key == filters.process_key)
    if filters.instance_id is not None:
        stmt = stmt.where(InstanceEvent.instance_id == filters.instance_id)
    if filters.business_key:
        stmt = stmt.where(
            ProcessInstance.business_key.contains(filters.business_key, autoescape=True)
        )
    if filters.kinds:
        stmt = stmt.where(InstanceEvent.kind.in_(filters.kinds))
    if filters.since is not None:
        stmt = stmt.where(InstanceEvent.at >= filters.since)
    if filters.until is not None:
        stmt = stmt.where(InstanceEvent.at < filters.until)
    return stmt


def _row(event: InstanceEvent, process_key: str, business_key: str | None, title: str) -> EventRow:
    return EventRow(
        id=event.id,
        instance_id=event.instance_id,
        seq=event.seq,
        at=clock.as_utc(event.at),
        actor_id=event.actor_id,
        kind=event.kind,
        task_spec=event.task_spec,
        task_name=event.task_name,
        data=event.data or {},
        process_key=process_key,
        business_key=business_key,
        title=title,
    )


def count_events(filters: EventFilters) -> int:
    """How many events match ``filters``."""
    stmt = select(func.count()).select_from(_filtered(filters).subquery())
    return int(db.session.scalar(stmt) or 0)


def search_events(filters: EventFilters, page: int = 1, per_page: int = 50) -> Page:
    """One page of matching events (``EventRow``), newest first."""
    page, per_page = max(1, page), max(1, per_page)
    stmt = (
        _filtered(filters)
        .order_by(InstanceEvent.at.desc(), InstanceEvent.id.desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    )
    items = [_row(*row) for row in db.session.execute(stmt)]
    return Page(items, count_events(filters), page, per_page)


def iter_events(filters: EventFilters, limit: int) -> Iterator[EventRow]:
    """At most ``limit`` matching events, oldest first, fetched in batches (for export)."""
    stmt = (
        _filtered(filters)
        .order_by(InstanceEvent.at, InstanceEvent.id)
        .limit(limit)
        .execution_options(yield_per=500)
    )
    result = db.session.execute(stmt)
    try:
        for row in result:
            yield _row(*row)
    finally:
        result.close()  # a server-side cursor on PostgreSQL: release it when stopped early
