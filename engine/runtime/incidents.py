"""Service-task failures: a BPMN error the diagram catches, or an incident an admin retries.

``run_engine_steps`` replaces a bare ``do_engine_steps`` in the runtime. When a service raises
``ServiceTaskError`` (engine/registry.py), the task's error boundary event whose errorCode
matches (or one without errorRef, which catches every error) receives it as a BPMN error and the
diagram's error path runs. Without such a boundary the task is parked in STARTED (compaction
keeps unfinished tasks, and the engine never re-runs a STARTED task by itself), an ``Incident``
row is opened and the instance's status becomes ``error``; the rest of the step (the user's
completed task, their data) is saved as usual. ``retry`` (系统管理员) runs the parked task again.
"""

from __future__ import annotations

import contextlib
import copy
import json
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.specs.control import BoundaryEventSplit
from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import ErrorEventDefinition
from SpiffWorkflow.bpmn.util import BpmnEvent
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select

from engine.errors import ServiceTaskError
from engine.runtime import runtime
from engine.runtime.history import ERROR_EVENT
from engine.runtime.incident_models import Incident
from engine.runtime.locking import lock_instance
from services import clock
from services.db import db
from services.errors import Conflict, Forbidden, NotFound
from services.org import directory, grants
from services.org.roles import SYSADMIN

ERROR_STATUS = "error"
# Service results are kept whole in the history so that replay can feed them back (a cut one
# makes the instance unreplayable from that call on). Services return ids and small dicts; the
# limit only stops a runaway result from bloating the event log.
_SUMMARY_LIMIT = 16_000
# Set by callers with a retry queue of their own (the timer scheduler): errors propagate.
_propagate: ContextVar[bool] = ContextVar("propagate_service_errors", default=False)


@dataclass(frozen=True)
class IncidentView:
    """An incident as listed for administrators."""

    id: int
    instance_id: int
    task_spec: str
    task_name: str
    service: str
    error_code: str
    message: str
    attempts: int
    created_at: datetime
    resolved_at: datetime | None
    resolved_by_id: int | None

    @property
    def open(self) -> bool:
        """True while the incident waits for a retry."""
        return self.resolved_at is None


@contextlib.contextmanager
def propagating() -> Iterator[None]:
    """Within the block a service error is raised again (rolling the step back) instead of
    being parked: for callers that retry the whole step themselves, like the timer scheduler."""
    token = _propagate.set(True)
    try:
        yield
    finally:
        _propagate.reset(token)


def run_engine_steps(step: Any, record: Callable[[Any], None]) -> None:
    """Run the automatic tasks of ``step.workflow``; a failing service task never aborts it.

    ``record`` is called after each completed task (the runtime's history hook).
    """
    running: list[Any] = [None]

    def remember(task: Any) -> None:
        running[0] = task

    while True:
        try:
            step.workflow.do_engine_steps(will_complete_task=remember, did_complete_task=record)
            return
        except ServiceTaskError as exc:
            if running[0] is None or not _handle_failure(step, running[0], exc):
                raise
            # The failed task left READY, so the next round runs only the other tasks.


def service_details(task: Any) -> dict[str, Any]:
    """The ``service_called`` event data: service name and a short summary of its result."""
    spec = task.task_spec
    result = task.data.get(getattr(spec, "result_variable", ""))
    summary = json.dumps(result, ensure_ascii=False, default=str)
    return {"service": getattr(spec, "operation_name", None), "result": summary[:_SUMMARY_LIMIT]}


def _handle_failure(step: Any, task: Any, exc: ServiceTaskError) -> bool:
    """Catch or park the failure; False when it must propagate instead."""
    boundary = _catching_boundary(task, exc.error_code)
    if boundary is None:
        if _propagate.get():
            return False
        _park(step, task, exc)
        return True
    _deliver(task, boundary, exc)
    step.log.append(
        "service_error_caught",
        task_spec=task.task_spec.bpmn_id,
        task_name=runtime.task_name(task),
        data={"service": exc.service, "error_code": exc.error_code, "message": exc.message},
    )
    return True


def _catching_boundary(task: Any, error_code: str) -> Any:
    """The waiting error boundary event of ``task`` for ``error_code``; exact codes first."""
    parent = task.parent
    if parent is None or not isinstance(parent.task_spec, BoundaryEventSplit):
        return None
    candidates = [
        sibling
        for sibling in parent.children
        if sibling is not task
        and sibling.state == TaskState.WAITING
        and isinstance(getattr(sibling.task_spec, "event_definition", None), ErrorEventDefinition)
        and sibling.task_spec.event_definition.code in (None, error_code)
    ]
    candidates.sort(key=lambda sibling: sibling.task_spec.event_definition.code is None)
    return candidates[0] if candidates else None


def _deliver(task: Any, boundary: Any, exc: ServiceTaskError) -> None:
    """Hand the error to the boundary event as Spiff's event manager would."""
    definition = boundary.task_spec.event_definition
    details = {"service": exc.service, "error_code": exc.error_code, "message": exc.message}
    event = BpmnEvent(type(definition)(definition.name, code=exc.error_code), payload=details)
    boundary.task_spec.catch(boundary, event)
    boundary.task_spec._update(boundary)
    # Spiff hands the payload on only to a declared variable: the error path (e.g. a 处理失败
    # task) always gets it as ``service_error``.
    boundary.data["service_error"] = copy.deepcopy(details)


def _park(step: Any, task: Any, exc: ServiceTaskError) -> None:
    """Keep the failed task for a retry and open (or count on) its incident."""
    task._set_state(TaskState.STARTED)
    incident = _open_incident_for(step.instance.id, str(task.id))
    now = clock.now()
    if incident is None:
        incident = Incident(
            instance_id=step.instance.id,
            spiff_task_id=str(task.id),
            task_spec=task.task_spec.bpmn_id or task.task_spec.name,
            task_name=runtime.task_name(task)[:300],
            service=exc.service[:200],
            error_code=str(exc.error_code)[:100],
            message=f"“{runtime.task_name(task)}”环节出错：{exc.message}",
            attempts=1,
            created_at=now,
            last_failed_at=now,
        )
        db.session.add(incident)
        kind = "incident_opened"
    else:
        incident.attempts += 1
        incident.error_code = str(exc.error_code)[:100]
        incident.message = f"第 {incident.attempts} 次执行仍失败：{exc.message}"
        incident.last_failed_at = now
        kind = "incident_retry_failed"
    step.instance.status = ERROR_STATUS
    details = {
        "service": exc.service,
        "error_code": exc.error_code,
        "message": incident.message,
        "attempts": incident.attempts,
    }
    step.log.append(kind, task_spec=incident.task_spec, task_name=incident.task_name, data=details)
    step.log.append(
        ERROR_EVENT,
        task_spec=incident.task_spec,
        task_name=incident.task_name,
        data={"source": "service", "spiff_task_id": str(task.id), **details},
    )


def _open_incident_for(instance_id: int, spiff_task_id: str) -> Incident | None:
    query = select(Incident).where(
        Incident.instance_id == instance_id,
        Incident.spiff_task_id == spiff_task_id,
        Incident.resolved_at.is_(None),
    )
    return db.session.scalars(query).first()


def retry(incident_id: int, admin_id: int) -> Incident:
    """Run an incident's service task again (系统管理员, under the instance lock).

    On success the instance runs on to its next wait state and the incident is resolved; on
    another failure ``attempts`` grows and ``message`` says so. Either way nothing is raised, so
    the caller commits the outcome.
    """
    if not grants.has_role(directory.get_user(admin_id), SYSADMIN):
        raise Forbidden("只有系统管理员可以重试异常", incident_id=incident_id)
    instance = lock_instance(_get(incident_id).instance_id)
    incident = _get(incident_id, fresh=True)
    if incident.resolved_at is not None:
        raise Conflict("该异常已处理，无需重试", incident_id=incident_id)
    if instance.status != ERROR_STATUS:
        raise Conflict("流程已挂起或已结束，不能重试", instance_id=instance.id)
    open_rows = runtime.open_rows(instance.id)
    with db.session.no_autoflush:
        step = runtime.load(instance)
        task = _parked_task(step.workflow, incident)
        step.log.append(
            "incident_retried",
            actor_id=admin_id,
            task_spec=incident.task_spec,
            task_name=incident.task_name,
            data={"incident_id": incident.id, "attempt": incident.attempts + 1},
        )
        instance.status = "running"
        task._set_state(TaskState.READY)
        runtime.run_engine(step)
        if task.state != TaskState.STARTED:
            _resolve(step, incident, admin_id)
        if _others_open(instance.id, incident.id):
            instance.status = ERROR_STATUS
        runtime.finish(step, open_rows)
    return incident


def _get(incident_id: int, *, fresh: bool = False) -> Incident:
    query = select(Incident).where(Incident.id == incident_id)
    if fresh:
        query = query.execution_options(populate_existing=True)
    incident = db.session.scalars(query).first()
    if incident is None:
        raise NotFound("异常记录不存在", incident_id=incident_id)
    return incident


def _parked_task(workflow: Any, incident: Incident) -> Any:
    task = workflow.get_task_from_id(UUID(incident.spiff_task_id))
    if task is None or task.state != TaskState.STARTED:
        raise Conflict("出错的环节已不在等待重试状态", incident_id=incident.id)
    return task


def _resolve(step: Any, incident: Incident, admin_id: int) -> None:
    incident.resolved_at, incident.resolved_by_id = clock.now(), admin_id
    step.log.append(
        "incident_resolved",
        actor_id=admin_id,
        task_spec=incident.task_spec,
        task_name=incident.task_name,
        data={"incident_id": incident.id, "attempts": incident.attempts},
    )


def _others_open(instance_id: int, incident_id: int) -> bool:
    query = select(Incident.id).where(
        Incident.instance_id == instance_id,
        Incident.resolved_at.is_(None),
        Incident.id != incident_id,
    )
    return db.session.scalars(query.limit(1)).first() is not None


def settle(step: Any, admin_id: int) -> None:
    """After an admin moved the instance on (疏通): close the incidents whose task is no longer
    parked; the instance stays in ``error`` while one is still open."""
    still_open = False
    for incident in _open_incidents(step.instance.id):
        task = step.workflow.get_task_from_id(UUID(incident.spiff_task_id))
        if task is not None and task.state == TaskState.STARTED:
            still_open = True
        else:
            _resolve(step, incident, admin_id)
    if still_open:
        step.instance.status = ERROR_STATUS


def close_all(instance_id: int, admin_id: int) -> None:
    """Close the open incidents of an instance being terminated (its history says why)."""
    now = clock.now()
    for incident in _open_incidents(instance_id):
        incident.resolved_at, incident.resolved_by_id = now, admin_id


def _open_incidents(instance_id: int) -> list[Incident]:
    query = select(Incident).where(
        Incident.instance_id == instance_id, Incident.resolved_at.is_(None)
    )
    return list(db.session.scalars(query))


def list_incidents(*, instance_id: int | None = None, open_only: bool = True) -> list[IncidentView]:
    """Incidents, newest first; all instances unless ``instance_id`` is given."""
    query = select(Incident).order_by(Incident.created_at.desc(), Incident.id.desc())
    if instance_id is not None:
        query = query.where(Incident.instance_id == instance_id)
    if open_only:
        query = query.where(Incident.resolved_at.is_(None))
    return [incident_view(row) for row in db.session.scalars(query)]


def incident_view(row: Incident) -> IncidentView:
    """The listing shape of an incident row."""
    return IncidentView(
        id=row.id,
        instance_id=row.instance_id,
        task_spec=row.task_spec,
        task_name=row.task_name,
        service=row.service,
        error_code=row.error_code,
        message=row.message,
        attempts=row.attempts,
        created_at=clock.as_utc(row.created_at),
        resolved_at=clock.as_utc(row.resolved_at) if row.resolved_at else None,
        resolved_by_id=row.resolved_by_id,
    )
