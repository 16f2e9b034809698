"""Replay: re-execute an instance's recorded inputs in memory and compare, event by event.

The event log records two sorts of events. *Inputs* come from outside the engine: the start
data (``instance_started``), each completed task with its actor and submitted data
(``task_completed``), migrations (``migrated``), 退回/取回, 疏通 skips, fired timers, received
messages and termination (fed by ``replay_inputs``). Everything else the engine *produced*
(tasks created or cancelled, gateways, scripts, services, timers scheduled, messages sent,
completion); 转办, 签收, 加签 and suspension only move rows and are not replayed. Replay starts
a fresh workflow on the recorded version, feeds it the inputs in order (at their recorded
time), saving and reloading the state after each one exactly as the runtime does, and checks
that it produces the same events with the same task specs and gateway choices. The hash
chain is verified first: replay then catches an attacker who altered an input and recomputed
the chain, because the engine's answer no longer matches what was recorded.

Nothing is written: the workflow lives in memory and service tasks are not called (they may
have side effects); a process that reaches one is reported as not replayable from there.

This module walks the event log and gives the verdict; ``replay_engine`` is the in-memory
engine fed with the inputs, ``replay_compare`` matches and describes events.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from SpiffWorkflow.exceptions import SpiffWorkflowException

from engine.definitions import repository
from engine.runtime import history, replay_inputs
from engine.runtime.models import InstanceEvent, ProcessInstance
from engine.runtime.replay_compare import Divergence, describe_produced, divergence_at
from engine.runtime.replay_engine import Replayer, ReplayError
from engine.runtime.step import RECORDED_KINDS as _RECORDED_KINDS
from services.db import db
from services.errors import Conflict, NotFound

INPUT_KINDS = (
    "instance_started",
    "task_completed",
    "migrated",
    "task_sent_back",
    "task_withdrawn",
    "task_skipped",
    "timer_fired",
    "message_received",
    "instance_terminated",
    "incident_retried",
)
PRODUCED_KINDS = (
    *sorted(set(_RECORDED_KINDS.values())),
    "task_created",
    "task_cancelled",
    "instance_completed",
    "timer_scheduled",
    "message_sent",
)
# Recorded but without effect on the engine state: they move rows (转办, 签收, 加签 signers,
# suspension), never the workflow. A 后加签's final completion is a ``task_completed``.
NEUTRAL_KINDS = (
    "task_claimed",
    "task_reassigned",
    "addsign_added",
    "addsign_completed",
    "addsign_passed",
    "instance_suspended",
    "instance_resumed",
    # Service failures: the ``error`` event marks the failed call in the recorded results.
    history.ERROR_EVENT,
    "incident_opened",
    "incident_retry_failed",
    "incident_resolved",
    # 传阅 and 催办 notify people; the process never waits on them.
    "circulated",
    "read",
    "recalled",
    "task_urged",
)


@dataclass(frozen=True)
class ReplayReport:
    """Verdict of ``replay``: ``status`` is ok, tampered (hash chain) or diverged."""

    instance_id: int
    status: str
    message: str
    events_checked: int
    divergence: Divergence | None = None
    skipped_kinds: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.status == "ok"


def _events(instance_id: int) -> list[InstanceEvent]:
    return history._events(instance_id)


def _instance(instance_id: int) -> ProcessInstance:
    instance = db.session.get(ProcessInstance, instance_id)
    if instance is None:
        raise NotFound("流程实例不存在", instance_id=instance_id)
    return instance


def _first_version_id(instance: ProcessInstance, events: list[InstanceEvent]) -> int:
    """The version the instance started on: before its first migration, if any."""
    for event in events:
        if event.kind == "migrated":
            return int(event.data["from_version_id"])
    return instance.version_id


def _run_replay(
    instance: ProcessInstance, events: list[InstanceEvent], upto: int | None
) -> tuple[Replayer, Divergence | None, int]:
    """Replay events (up to seq ``upto``); returns (replayer, divergence, checked count)."""
    loaded = repository.load_spec(_first_version_id(instance, events))
    replayer = Replayer(instance, loaded)
    replayer.service_results = replay_inputs.service_results(events)
    checked = 0
    for event in events:
        if upto is not None and event.seq > upto:
            break
        divergence = _step(replayer, event)
        if divergence is not None:
            return replayer, divergence, checked
        checked += 1
    try:
        replayer.settle_skips()
    except ReplayError as exc:
        return replayer, Divergence(checked + 1, "（记录已结束）", str(exc)), checked
    if upto is None and replayer.queue:
        extra = describe_produced(replayer.queue[0])
        return replayer, Divergence(checked + 1, "（记录已结束）", extra), checked
    return replayer, None, checked


def _step(replayer: Replayer, event: InstanceEvent) -> Divergence | None:
    if event.kind in INPUT_KINDS:
        if event.kind != "task_skipped":
            failed = _settle(replayer, event)
            if failed is not None:
                return failed
        if replayer.queue:
            return divergence_at(event, describe_produced(replayer.queue[0]))
        try:
            replayer.apply(event)
        except (ReplayError, replay_inputs.ReplayInputError, SpiffWorkflowException) as exc:
            return divergence_at(event, str(exc))
        return None
    failed = _settle(replayer, event)
    if failed is not None:
        return failed
    if event.kind in PRODUCED_KINDS:
        return replayer.check(event)
    if event.kind not in NEUTRAL_KINDS:
        replayer.skipped.add(event.kind)
    return None


def _settle(replayer: Replayer, event: InstanceEvent) -> Divergence | None:
    """Run the engine after pending 疏通 skips before the next event is looked at."""
    try:
        replayer.settle_skips()
    except ReplayError as exc:
        return divergence_at(event, str(exc))
    return None


def replay(instance_id: int) -> ReplayReport:
    """Verify the hash chain, then re-execute the recorded inputs and compare event by event."""
    instance = _instance(instance_id)
    chain = history.verify_instance(instance_id)
    if not chain.ok:
        return ReplayReport(
            instance_id, "tampered", f"哈希链校验失败：{chain.message}", 0, skipped_kinds=()
        )
    replayer, divergence, checked = _run_replay(instance, _events(instance_id), None)
    skipped = tuple(sorted(replayer.skipped))
    note = f"（未重放的事件类型：{'、'.join(skipped)}）" if skipped else ""
    if divergence is not None:
        message = (
            f"第 {divergence.seq} 条事件与重放结果不一致：记录为 {divergence.expected}，"
            f"重放得到 {divergence.got}{note}"
        )
        return ReplayReport(instance_id, "diverged", message, checked, divergence, skipped)
    message = f"重放一致：共核对 {checked} 条事件{note}"
    return ReplayReport(instance_id, "ok", message, checked, None, skipped)


def data_as_of(instance_id: int, seq: int) -> dict[str, Any]:
    """The instance data as it stood after event ``seq``, rebuilt by replaying up to it.

    It is the data of the task the engine had just completed (or created) at that event; a
    replay that diverges before ``seq`` raises ``Conflict`` rather than show wrong data.
    """
    instance = _instance(instance_id)
    replayer, divergence, _ = _run_replay(instance, _events(instance_id), seq)
    if divergence is not None:
        raise Conflict(f"第 {divergence.seq} 条事件无法重放，不能重建其后的数据")
    data: dict[str, Any] = {}
    for _seq, snapshot in replayer.snapshots:
        data = snapshot
    data.pop("oa_instance_id", None)
    return data
