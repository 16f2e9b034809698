"""The event log of each instance: append-only and hash-chained per instance.

Every event's ``hash`` is the SHA-256 of the previous event's hash and a canonical JSON form of
the event (instance, sequence number, time, actor, kind, task, data). The head of the chain (last
sequence number and hash) is kept on the instance row, which every change locks. Changing,
removing or re-ordering any stored event breaks the chain from that event on, and removing the
last events no longer matches the head; ``verify_instance`` names the first event at fault.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select

from engine.runtime.direct import Direct
from engine.runtime.models import InstanceEvent, ProcessInstance
from services import clock
from services.db import db

GENESIS_HASH = "0" * 64
# The kind of event that records a failure the instance cannot get past by itself (a service
# task parked as an incident, a timer that gave up); ``data["source"]`` says which.
ERROR_EVENT = "error"


@dataclass(frozen=True)
class EventView:
    """One history entry as shown to users and auditors."""

    seq: int
    at: datetime
    actor_id: int | None
    kind: str
    task_spec: str | None
    task_name: str | None
    data: dict[str, Any]
    hash: str


@dataclass(frozen=True)
class ChainCheck:
    """Result of ``verify_instance``: ``first_bad_seq`` is None when the chain is intact."""

    instance_id: int
    events: int
    first_bad_seq: int | None
    message: str

    @property
    def ok(self) -> bool:
        return self.first_bad_seq is None


def event_hash(prev_hash: str, fields: dict[str, Any]) -> str:
    """Hash of one event chained to its predecessor (``fields`` as produced by ``_fields``)."""
    canonical = json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256((prev_hash + canonical).encode("utf-8")).hexdigest()


def _fields(event: InstanceEvent) -> dict[str, Any]:
    return {
        "instance_id": event.instance_id,
        "seq": event.seq,
        "at": clock.as_utc(event.at).isoformat(),
        "actor_id": event.actor_id,
        "kind": event.kind,
        "task_spec": event.task_spec,
        "task_name": event.task_name,
        "data": event.data,
    }


# Core statement, built once: an event is written straight away, without an ORM object and
# the unit of work (the hot path appends two or three per completion).
_INSERT_EVENT = Direct(insert(InstanceEvent))


class EventLog:
    """Appends events to one instance's chain; use it under the instance lock."""

    def __init__(self, instance: ProcessInstance) -> None:
        self.instance = instance
        # While held (``hold``), events wait here and go out in one statement (``release``).
        self._held: list[dict[str, Any]] | None = None

    def hold(self) -> None:
        """Keep appended events in memory until ``release``: for a run of the engine that
        appends several and reads none back before it saves."""
        if self._held is None:
            self._held = []

    def release(self) -> None:
        """Write the held events (one executemany) and write later ones straight away."""
        held, self._held = self._held, None
        if held:
            _INSERT_EVENT.executemany(held)

    def append(
        self,
        kind: str,
        *,
        actor_id: int | None = None,
        task_spec: str | None = None,
        task_name: str | None = None,
        data: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Write the next event of the chain in the caller's transaction; returns its fields.

        The event is inserted at once (a Core statement, not an object waiting for the flush)
        unless the log is held; the chain head on the instance row is written when the
        instance is.
        """
        instance = self.instance
        prev_hash = instance.event_hash or GENESIS_HASH
        at, seq = clock.now(), (instance.event_seq or 0) + 1
        fields: dict[str, Any] = {
            "instance_id": instance.id,
            "seq": seq,
            "at": clock.as_utc(at).isoformat(),
            "actor_id": actor_id,
            "kind": kind,
            "task_spec": task_spec,
            "task_name": task_name,
            "data": _json_safe(data or {}),
        }
        digest = event_hash(prev_hash, fields)
        row = {**fields, "at": at, "prev_hash": prev_hash, "hash": digest}
        if self._held is not None:
            self._held.append(row)
        else:
            _INSERT_EVENT.execute(row)
        instance.event_seq, instance.event_hash = seq, digest
        return row


def _json_safe(data: dict[str, Any]) -> dict[str, Any]:
    """The form the JSON column gives back, so the hash is computed on what is stored."""
    loaded: dict[str, Any] = json.loads(json.dumps(data, ensure_ascii=False, default=str))
    return loaded


def open_log(instance: ProcessInstance) -> EventLog:
    """The chain of an instance, positioned after its last event (the head on the row)."""
    return EventLog(instance)


def _events(instance_id: int) -> list[InstanceEvent]:
    return list(
        db.session.scalars(
            select(InstanceEvent)
            .where(InstanceEvent.instance_id == instance_id)
            .order_by(InstanceEvent.seq)
        )
    )


def history(instance_id: int) -> list[EventView]:
    """All events of an instance, oldest first."""
    return [
        EventView(
            seq=e.seq,
            at=clock.as_utc(e.at),
            actor_id=e.actor_id,
            kind=e.kind,
            task_spec=e.task_spec,
            task_name=e.task_name,
            data=e.data,
            hash=e.hash,
        )
        for e in _events(instance_id)
    ]


def verify_instance(instance_id: int) -> ChainCheck:
    """Recompute the chain; name the first event whose sequence, link or content is wrong."""
    events = _events(instance_id)
    prev_hash = GENESIS_HASH
    for expected_seq, event in enumerate(events, start=1):
        problem = _check_event(event, expected_seq, prev_hash)
        if problem:
            return ChainCheck(
                instance_id, len(events), event.seq, f"第 {event.seq} 条事件{problem}"
            )
        prev_hash = event.hash
    instance = db.session.get(ProcessInstance, instance_id)
    if instance is not None and (instance.event_seq, instance.event_hash) != (
        len(events),
        prev_hash,
    ):
        missing = len(events) + 1
        return ChainCheck(
            instance_id, len(events), missing, f"第 {missing} 条及之后的事件缺失，可能被删除"
        )
    return ChainCheck(instance_id, len(events), None, f"共 {len(events)} 条事件，校验通过")


def _check_event(event: InstanceEvent, expected_seq: int, prev_hash: str) -> str | None:
    if event.seq != expected_seq:
        return f"序号不连续（应为 {expected_seq}），之前的事件可能被删除"
    if event.prev_hash != prev_hash:
        return "与前一条事件的链接不符"
    if event_hash(prev_hash, _fields(event)) != event.hash:
        return "内容与哈希不符，可能被篡改"
    return None
