"""Replay: the in-memory engine that re-executes an instance's recorded inputs.

``Replayer`` starts a fresh workflow on the recorded version and is fed the recorded inputs one
by one (``apply``), at their recorded time, saving and reloading the state after each exactly
as the runtime does. What the engine produces is queued as ``Produced`` events, which ``check``
matches against the recorded ones. Nothing is written and service tasks are not called: their
recorded results are returned instead (``replay_inputs.service_results``).
"""

from __future__ import annotations

import copy
import json
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.util.task import TaskState

from engine.definitions import repository
from engine.errors import ServiceTaskError
from engine.runtime import countersign, persistence, replay_inputs, start_timers
from engine.runtime.migration import migrate_in_memory
from engine.runtime.models import HumanTask, InstanceEvent, ProcessInstance
from engine.runtime.replay_compare import (
    Divergence,
    Produced,
    describe_produced,
    divergence_at,
    matches,
)
from engine.runtime.step import RECORDED_KINDS as _RECORDED_KINDS
from engine.runtime.step import automatic_details as _automatic_details
from engine.runtime.step import task_name as _task_name
from engine.sandbox import SandboxScriptEngine, default_registry
from services import clock
from services.db import db


class ReplayError(Exception):
    """The replay could not go on (unknown task, service task, engine error)."""


class _ReplayScriptEngine(SandboxScriptEngine):
    """The sandbox without services: replay must not repeat their side effects."""

    def __init__(self, results: dict[str, deque[Any]]) -> None:
        super().__init__(default_registry)
        # Task spec -> the results its recorded ``service_called`` events hold, in order.
        self.results = results

    def call_service(self, task: Any, **kwargs: Any) -> str:
        """The recorded result instead of a call: calling the service again may write."""
        recorded = self.results.get(task.task_spec.bpmn_id)
        if not recorded:
            raise ReplayError(f"服务任务“{_task_name(task)}”的结果未完整记录，无法离线重放")
        value = recorded.popleft()
        if value is replay_inputs.SERVICE_FAILED:  # parked as an incident when it ran
            name = str(kwargs.get("operation_name"))
            raise ServiceTaskError("记录中此次调用失败", service=name, error_code="recorded")
        return json.dumps(value, ensure_ascii=False)


@dataclass
class Replayer:
    """One replay in progress: the workflow, the events it produced not yet checked, and
    what it learnt on the way (task ids, open tasks, completions, timers, snapshots)."""

    instance: ProcessInstance
    loaded: repository.LoadedSpec
    workflow: BpmnWorkflow | None = None
    queue: deque[Produced] = field(default_factory=deque)
    # Recorded spiff task id -> replayed task id, learnt from matching task_created events.
    task_map: dict[str, UUID] = field(default_factory=dict)
    # Replayed manual tasks that have an inbox row, with their (spec, name) for cancel events.
    open_tasks: dict[UUID, tuple[str, str]] = field(default_factory=dict)
    last_completed: Any = None
    service_results: dict[str, deque[Any]] = field(default_factory=dict)
    snapshots: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    skipped: set[str] = field(default_factory=set)
    # Task spec -> the form data of its latest completion: what a 退回 to it restores.
    completions: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Timer tasks with a live row, and those fired by the current input (timers.sync_timers).
    timers_pending: set[UUID] = field(default_factory=set)
    timers_fired: set[UUID] = field(default_factory=set)
    # 疏通 skips are fed one event each; the engine runs once after the last (its time).
    skip_pending_at: datetime | None = None
    terminated: bool = False

    def apply(self, event: InstanceEvent) -> None:
        """Feed one recorded input to the engine; queue what it produces."""
        if self.terminated:
            raise ReplayError("流程已终止，其后不应再有办理记录")
        # The recorded time: timers get the due times the runtime computed and fire alike.
        with clock.thread_clock(_fixed(event.at)):
            _HANDLERS[event.kind](self, event)
        self.snapshots.append((event.seq, self._input_snapshot(event)))
        if event.kind == "task_skipped":
            self.skip_pending_at = event.at
        elif event.kind != "instance_terminated":
            self._settle()

    def settle_skips(self) -> None:
        """Run the engine after the 疏通 skips fed so far, as ``operations.unblock`` does."""
        if self.skip_pending_at is None:
            return
        with clock.thread_clock(_fixed(self.skip_pending_at)):
            self.skip_pending_at = None
            self._run(None)
        self._settle()

    def _settle(self) -> None:
        self._sync()
        self._round_trip()

    def _start(self, event: InstanceEvent) -> None:
        workflow = BpmnWorkflow(
            self.loaded.spec,
            self.loaded.subprocess_specs,
            script_engine=_ReplayScriptEngine(self.service_results),
        )
        workflow.data["oa_instance_id"] = self.instance.id
        for task in workflow.get_tasks(state=TaskState.READY):
            task.data.update(copy.deepcopy(event.data.get("data") or {}))
        if event.data.get("start_timer"):  # started by the scheduler (start_timers)
            start_timers.mark_start_fired(workflow, str(event.data["start_timer"]))
        self.workflow = workflow
        self._run(None)

    def _complete(self, event: InstanceEvent) -> None:
        task = self._ready_task(event)
        task.data.update(copy.deepcopy(event.data.get("data") or {}))
        countersign.prepare(task)
        self.completions[event.task_spec or ""] = dict(event.data.get("data") or {})
        self.open_tasks.pop(task.id, None)
        self.last_completed = task
        self._run(task)

    def _migrate(self, event: InstanceEvent) -> None:
        self.loaded = repository.load_spec(int(event.data["to_version_id"]))
        migrate_in_memory(self._workflow(), self.loaded)

    def _workflow(self) -> BpmnWorkflow:
        if self.workflow is None:
            raise ReplayError("记录中缺少流程启动事件")
        return self.workflow

    def _send_back(self, event: InstanceEvent) -> None:
        current = self._ready_task(event)
        target = str(event.data.get("target"))
        if target not in self.completions:
            raise ReplayError(f"退回目标“{target}”在此前没有办理记录")
        self.open_tasks.pop(current.id, None)  # closed as returned: no cancel event
        replay_inputs.send_back(self._workflow(), current, self.completions[target], target)
        self._run(None)

    def _withdraw(self, event: InstanceEvent) -> None:
        replay_inputs.withdraw(self._workflow(), event.task_spec or "")
        self._run(None)

    def _skip(self, event: InstanceEvent) -> None:
        replay_inputs.skip(self._workflow(), event.task_spec or "", event.data.get("data"))

    def _fire_timer(self, event: InstanceEvent) -> None:
        task = replay_inputs.fire_timer(self._workflow(), event)
        self.timers_pending.discard(task.id)
        self.timers_fired.add(task.id)
        self._run(None)

    def _receive(self, event: InstanceEvent) -> None:
        replay_inputs.receive_message(self._workflow(), event)
        self._run(None)

    def _retry_incident(self, event: InstanceEvent) -> None:
        replay_inputs.retry_incident(self._workflow(), event.task_spec or "")
        self._run(None)

    def _terminate(self, event: InstanceEvent) -> None:
        # operations.terminate cancels the rows without events and never runs the engine.
        self.open_tasks.clear()
        self.terminated = True

    def _ready_task(self, event: InstanceEvent) -> Any:
        row = db.session.get(HumanTask, event.data.get("task_id"))
        # A 后加签 signer's row acts on its holder's engine task.
        replayed = self.task_map.get(row.engine_task_id) if row is not None else None
        workflow = self._workflow()
        task = workflow.get_task_from_id(replayed) if replayed is not None else None
        if task is None or task.state != TaskState.READY:
            raise ReplayError(f"重放时找不到可办理的任务“{event.task_name}”")
        return task

    def _run(self, completed: Any) -> None:
        workflow = self._workflow()

        def record(task: Any) -> None:
            kind = _RECORDED_KINDS.get(type(task.task_spec).__name__)
            if kind:
                self._produce(kind, task, _automatic_details(task))

        running: list[Any] = [None]
        try:
            if completed is not None:
                completed.run()
            while True:
                try:
                    workflow.do_engine_steps(
                        will_complete_task=running.append, did_complete_task=record
                    )
                    return
                except ServiceTaskError:  # a recorded failure: park the task as incidents does
                    running[-1]._set_state(TaskState.STARTED)
        except SpiffWorkflowException as exc:
            raise ReplayError(f"重放时流程出错：{exc}") from exc

    def _produce(self, kind: str, task: Any, details: dict[str, Any]) -> None:
        spec = task.task_spec.bpmn_id or task.task_spec.name
        data = copy.deepcopy(dict(task.data))
        self.queue.append(Produced(kind, spec, _task_name(task), details, data, task.id))

    def _sync(self) -> None:
        """The events ``runtime.finish`` writes: cancelled and created tasks, completion."""
        workflow = self._workflow()
        ready = {t.id: t for t in workflow.get_tasks(state=TaskState.READY, manual=True)}
        for task_id in [i for i in self.open_tasks if i not in ready]:
            spec, name = self.open_tasks.pop(task_id)
            self.queue.append(Produced("task_cancelled", spec, name, {}, {}))
        for task_id, task in ready.items():
            if task_id not in self.open_tasks:
                self._produce("task_created", task, {})
                self.open_tasks[task_id] = (self.queue[-1].task_spec or "", _task_name(task))
        self._sync_waits(workflow)
        if workflow.is_completed():
            self.queue.append(Produced("instance_completed", None, None, {}, {}))

    def _sync_waits(self, workflow: BpmnWorkflow) -> None:
        """The events ``timers.sync_timers`` and ``messages.sync_messages`` write."""
        for task in replay_inputs.scheduled_timers(
            workflow, self.timers_pending, self.timers_fired
        ):
            spec = task.task_spec.bpmn_id or task.task_spec.name
            self.queue.append(Produced("timer_scheduled", spec, _task_name(task), {}, {}))
        for sent in replay_inputs.sent_messages(workflow):
            self.queue.append(Produced("message_sent", None, None, sent, {}))

    def _round_trip(self) -> None:
        """Save and reload like the runtime, so compaction and restore are replayed too."""
        workflow = self._workflow()
        text = persistence.dump_state(workflow)
        self.workflow = persistence.load_state(
            text,
            persistence.STATE_FORMAT,
            spec=self.loaded.spec,
            subprocess_specs=self.loaded.subprocess_specs,
            script_engine=_ReplayScriptEngine(self.service_results),
        )

    def _input_snapshot(self, event: InstanceEvent) -> dict[str, Any]:
        if event.kind == "task_completed":
            return copy.deepcopy(dict(self.last_completed.data))
        return self.snapshots[-1][1] if self.snapshots else dict(event.data.get("data") or {})

    def check(self, event: InstanceEvent) -> Divergence | None:
        """Compare a recorded produced event with the next one the replay produced."""
        if not self.queue:
            return divergence_at(event, "重放未产生对应事件")
        produced = self.queue.popleft()
        if not matches(event, produced):
            return divergence_at(event, describe_produced(produced))
        if produced.task_id is None:
            return None  # cancel and completion events carry no task data of their own
        if produced.kind == "task_created":
            self.task_map[str(event.data.get("spiff_task_id"))] = produced.task_id
        self.snapshots.append((event.seq, produced.data))
        return None


_HANDLERS: dict[str, Callable[[Replayer, InstanceEvent], None]] = {
    "instance_started": Replayer._start,
    "task_completed": Replayer._complete,
    "migrated": Replayer._migrate,
    "task_sent_back": Replayer._send_back,
    "task_withdrawn": Replayer._withdraw,
    "task_skipped": Replayer._skip,
    "timer_fired": Replayer._fire_timer,
    "message_received": Replayer._receive,
    "instance_terminated": Replayer._terminate,
    "incident_retried": Replayer._retry_incident,
}


def _fixed(at: datetime) -> Callable[[], datetime]:
    moment = clock.as_utc(at)
    return lambda: moment
