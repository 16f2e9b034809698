"""One change of an instance (``Step``) and running the engine inside it.

A step is the locked instance row, the workflow rebuilt from its state and its event log; the
start/complete path (``engine.runtime.runtime``) and the Chinese operations (退回, 转办, timers,
messages ...) build one, run the engine and hand it to ``runtime.finish``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.util.task import TaskState

from engine.definitions import repository
from engine.errors import EngineError
from engine.runtime import incidents, persistence
from engine.runtime.history import EventLog, open_log
from engine.runtime.models import HumanTask, ProcessInstance
from engine.sandbox import make_script_engine
from services.errors import Conflict
from services.notify.new_tasks import NewTask

TASK_TAKEN_MESSAGE = "该任务已被他人处理"
# Spec classes whose automatic runs are worth a history event, and the event kind.
RECORDED_KINDS = {
    "ExclusiveGateway": "gateway_passed",
    "InclusiveGateway": "gateway_passed",
    "ParallelGateway": "gateway_passed",
    "EventBasedGateway": "gateway_passed",
    "ScriptTask": "script_run",
    "ServiceTask": "service_called",
    "CallActivity": "subprocess_passed",
}


@dataclass
class Step:
    """One change of an instance, written out by ``runtime.finish``."""

    instance: ProcessInstance
    loaded: repository.LoadedSpec
    workflow: BpmnWorkflow
    log: EventLog
    # 退回/取回: task spec -> the user its next row goes to, instead of the BPMN rule.
    assignee_overrides: dict[str, int] = field(default_factory=dict)
    # 新待办 notices of the rows created in this step, sent together by ``runtime.finish``.
    notices: list[NewTask] = field(default_factory=list)


def load(instance: ProcessInstance) -> Step:
    """The step of a locked ``instance``: its workflow rebuilt from the stored state."""
    loaded = repository.load_spec(instance.version_id)
    workflow = persistence.load_state(
        instance.state,
        instance.state_format,
        spec=loaded.spec,
        subprocess_specs=loaded.subprocess_specs,
        script_engine=make_script_engine(),
    )
    return Step(instance, loaded, workflow, open_log(instance))


def ready_spiff_task(workflow: BpmnWorkflow, row: HumanTask) -> Any:
    """The engine task behind ``row``; ``Conflict`` when it is no longer READY."""
    task = workflow.get_task_from_id(UUID(row.engine_task_id))
    if task is None or task.state != TaskState.READY:
        raise Conflict(TASK_TAKEN_MESSAGE, task_id=row.id)
    return task


def run_engine(step: Step, completed: Any = None) -> None:
    """Run the given user task (if any) and everything automatic after it."""

    def record(task: Any) -> None:
        kind = RECORDED_KINDS.get(type(task.task_spec).__name__)
        if kind:
            step.log.append(
                kind,
                task_spec=task.task_spec.bpmn_id,
                task_name=task_name(task),
                data=automatic_details(task),
            )

    try:
        if completed is not None:
            completed.run()
        # A failing service task becomes a BPMN error or an incident, not a rollback.
        incidents.run_engine_steps(step, record)
    except SpiffWorkflowException as exc:
        raise _engine_error(step, exc) from exc


def automatic_details(task: Any) -> dict[str, Any]:
    """What the history records of an automatic task: a service's result, a gateway's way."""
    if type(task.task_spec).__name__ == "ServiceTask":
        return incidents.service_details(task)
    if "Gateway" in type(task.task_spec).__name__:
        chosen = [
            c for c in task.children if c.has_state(TaskState.DEFINITE_MASK | TaskState.COMPLETED)
        ]
        return {"next": [task_name(c) for c in chosen]}
    return {}


def _engine_error(step: Step, exc: SpiffWorkflowException) -> EngineError:
    spec = getattr(exc, "task_spec", None)
    where = (getattr(spec, "bpmn_name", None) or getattr(spec, "bpmn_id", None)) if spec else None
    prefix = f"流程“{step.instance.title}”在“{where}”处出错" if where else "流程运行出错"
    return EngineError(
        f"{prefix}：{exc}",
        code="engine_error",
        process_key=step.instance.process_key,
        instance_id=step.instance.id,
        task_spec=getattr(spec, "bpmn_id", None),
    )


def task_name(task: Any) -> str:
    """The name shown for an engine task: its BPMN name, else its id."""
    spec = task.task_spec
    return str(getattr(spec, "bpmn_name", None) or getattr(spec, "bpmn_id", None) or spec.name)
