"""Read-only lists for the console: how many instances each version has, and which are open.

The engine facade answers per instance; the console needs counts over many, so these small
queries read the engine's instance table directly (reads only, never state).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import func, select

from engine.definitions.models import ProcessVersion
from engine.runtime.models import ProcessInstance
from engine.runtime.wait_models import EngineTimer
from services.db import db

OPEN_STATUSES = ("running", "suspended", "error")
LIST_LIMIT = 200


@dataclass(frozen=True)
class VersionRow:
    """A version with its instance counts by status."""

    id: int
    version: int
    name: str
    deployed_at: object
    comment: str
    counts: dict[str, int]

    @property
    def open_count(self) -> int:
        return sum(self.counts.get(s, 0) for s in OPEN_STATUSES)


def instance_counts(key: str) -> dict[int, dict[str, int]]:
    """{version_id: {status: count}} for the instances of process ``key``."""
    stmt = (
        select(ProcessInstance.version_id, ProcessInstance.status, func.count())
        .where(ProcessInstance.process_key == key)
        .group_by(ProcessInstance.version_id, ProcessInstance.status)
    )
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    for version_id, status, count in db.session.execute(stmt):
        counts[version_id][status] = count
    return counts


def version_rows(versions: list[ProcessVersion]) -> list[VersionRow]:
    """The versions of one key, newest first, with their counts."""
    counts = instance_counts(versions[0].key) if versions else {}
    return [
        VersionRow(v.id, v.version, v.name, v.deployed_at, v.comment, counts.get(v.id, {}))
        for v in reversed(versions)
    ]


def open_instances(key: str, version_id: int | None = None) -> list[ProcessInstance]:
    """Unfinished instances of ``key`` (optionally of one version), oldest first, capped."""
    stmt = select(ProcessInstance).where(
        ProcessInstance.process_key == key, ProcessInstance.status.in_(OPEN_STATUSES)
    )
    if version_id is not None:
        stmt = stmt.where(ProcessInstance.version_id == version_id)
    stmt = stmt.order_by(ProcessInstance.id).limit(LIST_LIMIT)
    return list(db.session.scalars(stmt))


def failed_timers(key: str) -> list[EngineTimer]:
    """Timers of ``key``'s instances that gave up after their retries (incidents)."""
    stmt = (
        select(EngineTimer)
        .join(ProcessInstance, ProcessInstance.id == EngineTimer.instance_id)
        .where(ProcessInstance.process_key == key, EngineTimer.status == "failed")
        .order_by(EngineTimer.due_at)
        .limit(LIST_LIMIT)
    )
    return list(db.session.scalars(stmt))
