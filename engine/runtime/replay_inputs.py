"""Replaying the inputs of operations: 退回/取回, 疏通 skips, timers, messages, termination.

Each function repeats, on the replay's in-memory workflow, exactly the engine calls the runtime
made when the operation happened (``sendback``, ``operations``, ``timers``, ``messages``); the
rows, locks and history writes around them are left out. They also mirror what the runtime's
``_finish`` records for timers and messages, so ``timer_scheduled`` and ``message_sent`` are
compared like every other produced event.
"""

from __future__ import annotations

import copy
import json
from collections import deque
from collections.abc import Iterable
from typing import Any

from SpiffWorkflow.bpmn.util import BpmnEvent
from SpiffWorkflow.util.task import TaskState

from engine.runtime import history, messages, sendback, timers
from engine.runtime.models import InstanceEvent
from engine.runtime.step import task_name as _task_name

# States of a stuck automatic task an admin may skip (as ``operations._skip`` selects them).
_SKIPPABLE = TaskState.READY | TaskState.ERROR | TaskState.STARTED | TaskState.WAITING


class ReplayInputError(Exception):
    """The recorded input cannot be fed to the replayed workflow."""


def send_back(workflow: Any, current: Any, earlier_data: dict[str, Any], target: str) -> None:
    """退回 as ``sendback.send_back`` does it: current data plus the target's last submission."""
    spec = workflow.spec.task_specs.get(target)
    if spec is None:
        raise ReplayInputError(f"退回目标“{target}”不在流程中")
    data = copy.deepcopy(dict(current.data)) | copy.deepcopy(earlier_data)
    sendback.restart_at(workflow, spec, data)


def withdraw(workflow: Any, task_spec: str) -> None:
    """取回 as ``sendback.withdraw`` does it: the waiting task's data goes back to ``task_spec``."""
    spec = workflow.spec.task_specs.get(task_spec)
    waiting = workflow.get_tasks(state=TaskState.READY, manual=True)
    if spec is None or not waiting:
        raise ReplayInputError(f"重放时无法取回“{task_spec}”")
    sendback.restart_at(workflow, spec, copy.deepcopy(dict(waiting[0].data)))


def skip(workflow: Any, task_spec: str, data: dict[str, Any] | None = None) -> None:
    """疏通 skip of one stuck automatic task (with the result the admin gave, if any); the
    engine runs once all skips are fed."""
    stuck = [
        task
        for task in workflow.get_tasks(state=_SKIPPABLE)
        if task.task_spec.bpmn_id == task_spec and not task.task_spec.manual
    ]
    if not stuck:
        raise ReplayInputError(f"重放时“{task_spec}”没有可跳过的自动任务")
    stuck[0].data.update(copy.deepcopy(data or {}))
    stuck[0].complete()


def fire_timer(workflow: Any, event: InstanceEvent) -> Any:
    """Fire the waiting timer of the recorded spec as ``timers._mark_fired``; returns its task."""
    task = _waiting(timers._waiting_timer_tasks(workflow), event.task_spec)
    timers.fire_task(workflow, task)
    return task


def receive_message(workflow: Any, event: InstanceEvent) -> None:
    """Hand the recorded payload to the waiting catch event, as ``messages._catch`` does."""
    task = _waiting(messages._waiting_message_tasks(workflow), event.task_spec)
    definition = task.task_spec.event_definition
    if (event.data or {}).get("name") != definition.name:
        raise ReplayInputError(f"“{_task_name(task)}”等待的不是消息“{event.data.get('name')}”")
    payload = copy.deepcopy(dict((event.data or {}).get("payload") or {}))
    task.task_spec.catch(task, BpmnEvent(definition, payload=payload))
    task.task_spec._update(task)


def _waiting(tasks: list[Any], task_spec: str | None) -> Any:
    for task in tasks:
        if task.task_spec.bpmn_id == task_spec:
            return task
    raise ReplayInputError(f"重放时“{task_spec}”没有处于等待的事件")


def scheduled_timers(workflow: Any, pending: set[Any], fired_now: set[Any]) -> list[Any]:
    """The timer tasks ``timers.sync_timers`` would schedule now; updates ``pending``.

    Rows of timers no longer waiting are cancelled (no event); a cycle timer fired in this
    same change and still waiting is re-armed (scheduled again, before the new ones).
    """
    waiting = {task.id: task for task in timers._waiting_timer_tasks(workflow)}
    known = pending | fired_now
    rearmed = [task for task_id, task in waiting.items() if task_id in fired_now]
    pending.intersection_update(waiting)
    new = [task for task_id, task in waiting.items() if task_id not in known]
    pending.update(task.id for task in rearmed + new)
    fired_now.clear()
    return rearmed + new


def sent_messages(workflow: Any) -> list[dict[str, Any]]:
    """Name and correlation of each message the run threw, as ``messages.sync_messages``."""
    return [
        {"name": e.event_definition.name, "correlation": messages._flatten(e.correlations)}
        for e in messages._drain_thrown_messages(workflow)
    ]


def service_results(events: Iterable[InstanceEvent]) -> dict[str, deque[Any]]:
    """Per task spec, the results of its recorded service calls, oldest first.

    ``service_called`` keeps a summary of the result (JSON text, cut at a length limit): only a
    complete one is fed back; a call whose result was cut is not replayable.
    """
    results: dict[str, deque[Any]] = {}
    cut: set[str] = set()
    for event in events:
        spec = event.task_spec or ""
        if _service_failure(event) and spec not in cut:
            results.setdefault(spec, deque()).append(SERVICE_FAILED)
        if event.kind != "service_called" or spec in cut:
            continue
        value = _complete_json((event.data or {}).get("result"))
        if value is _CUT:
            cut.add(spec)  # later calls of this spec must not take the cut one's place
        else:
            results.setdefault(spec, deque()).append(value)
    return results


_CUT = object()
# In a spec's results: the call at this point failed and was parked as an incident.
SERVICE_FAILED = object()


def _service_failure(event: InstanceEvent) -> bool:
    return event.kind == history.ERROR_EVENT and (event.data or {}).get("source") == "service"


def retry_incident(workflow: Any, task_spec: str) -> None:
    """An admin's retry of a parked service task, as ``incidents.retry``: ready to run again."""
    for task in workflow.get_tasks(state=TaskState.STARTED):
        if task.task_spec.bpmn_id == task_spec and not task.task_spec.manual:
            task._set_state(TaskState.READY)
            return
    raise ReplayInputError(f"重放时“{task_spec}”没有等待重试的服务任务")


def _complete_json(text: Any) -> Any:
    """The value ``text`` encodes, or ``_CUT`` when it is missing or not whole JSON."""
    if not isinstance(text, str):
        return _CUT
    try:
        value = json.loads(text)
    except ValueError:
        return _CUT
    return value if json.dumps(value, ensure_ascii=False, default=str) == text else _CUT
