"""Replay: what is compared between a recorded event and a replayed one, and how a
difference is described to the auditor.

A recorded ``InstanceEvent`` and a ``Produced`` event (what the replay made the engine do) match
when their kind, task spec, task name, gateway choice and, for a thrown message, its name and
correlation are the same. The first event that does not match is a ``Divergence``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from engine.runtime import messages
from engine.runtime.models import InstanceEvent


@dataclass(frozen=True)
class Divergence:
    """The first recorded event the replay did not reproduce."""

    seq: int
    expected: str
    got: str


@dataclass
class Produced:
    """An event the replayed engine produced, waiting to be matched with the recorded one."""

    kind: str
    task_spec: str | None
    task_name: str | None
    details: dict[str, Any]
    data: dict[str, Any]
    task_id: UUID | None = None


def matches(event: InstanceEvent, produced: Produced) -> bool:
    """Whether the replay produced the recorded event (same kind, task, choice, message)."""
    return _signature_of_recorded(event) == _signature_of_produced(produced)


def _signature_of_recorded(event: InstanceEvent) -> tuple[Any, ...]:
    data = event.data or {}
    return (event.kind, event.task_spec, event.task_name, data.get("next"), _sent(event.kind, data))


def _signature_of_produced(produced: Produced) -> tuple[Any, ...]:
    details = produced.details
    sent = _sent(produced.kind, details)
    return (produced.kind, produced.task_spec, produced.task_name, details.get("next"), sent)


def _sent(kind: str, details: dict[str, Any]) -> tuple[Any, ...] | None:
    """What a thrown message is compared on: its name and correlation."""
    if kind != "message_sent":
        return None
    correlation = messages.correlation_key(dict(details.get("correlation") or {}))
    return (details.get("name"), correlation)


def _describe(kind: str, name: str | None, spec: str | None, details: dict[str, Any]) -> str:
    where = f"“{name}”（{spec}）" if spec else ""
    chosen = f"，去向：{'、'.join(details['next'])}" if details.get("next") else ""
    sent = f"，消息：{details['name']}" if kind == "message_sent" and details.get("name") else ""
    return f"{kind} {where}{chosen}{sent}".strip()


def describe_recorded(event: InstanceEvent) -> str:
    """The recorded event as the audit console shows it in a divergence."""
    return _describe(event.kind, event.task_name, event.task_spec, event.data or {})


def describe_produced(produced: Produced) -> str:
    """The replayed event as the audit console shows it in a divergence."""
    return _describe(produced.kind, produced.task_name, produced.task_spec, produced.details)


def divergence_at(event: InstanceEvent, got: str) -> Divergence:
    """The replay did not reproduce ``event``; ``got`` says what it did (or why it stopped)."""
    return Divergence(event.seq, describe_recorded(event), got)
