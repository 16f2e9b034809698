"""Start instances and complete their user tasks: lock, load, run to the next wait state, save.

One change of an instance is one ``_Step``: the locked instance row, the workflow rebuilt from
its state, and its event log. ``_finish`` then writes, in the caller's transaction, the new state
(compacted, next revision), the human-task rows of tasks that became ready or went away, and the
history events. Nothing here commits.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import and_, bindparam, or_, select, true

from engine import assignment, deadlines, forms
from engine.definitions import repository
from engine.errors import EngineError
from engine.runtime import (
    addsign,
    countersign,
    delegation,
    incidents,
    messages,
    persistence,
    task_notices,
    timers,
    writes,
)
from engine.runtime.history import EventLog, open_log
from engine.runtime.locking import check_revision, lock_instance, lock_instance_of_task
from engine.runtime.models import HumanTask, HumanTaskCandidate, ProcessInstance
from engine.sandbox import make_script_engine
from services import clock
from services.db import db
from services.errors import Conflict, Forbidden, NotFound, ValidationFailed
from services.notify.new_tasks import NewTask
from services.org import directory

TASK_TAKEN_MESSAGE = "该任务已被他人处理"
# Spec classes whose automatic runs are worth a history event, and the event kind.
_RECORDED_KINDS = {
    "ExclusiveGateway": "gateway_passed",
    "InclusiveGateway": "gateway_passed",
    "ParallelGateway": "gateway_passed",
    "EventBasedGateway": "gateway_passed",
    "ScriptTask": "script_run",
    "ServiceTask": "service_called",
    "CallActivity": "subprocess_passed",
}


# Statements of the start/complete path, built once: building and keying a statement costs
# about as much as SQLite takes to run it.
_TASK_ROW = select(HumanTask).where(HumanTask.id == bindparam("task_id"))
# The form of a task no longer open (``_validate``): one column, no ORM object.
_TASK_FORM = select(HumanTask.form_key).where(HumanTask.id == bindparam("task_id"))
_ROWS_FOR_COMPLETION = (
    select(HumanTask)
    .where(
        # Each side of the OR has its own index: rows completed long ago are never read.
        or_(
            and_(HumanTask.instance_id == bindparam("instance_id"), HumanTask.active == true()),
            HumanTask.parent_id == bindparam("task_id"),
        ),
    )
    .execution_options(populate_existing=True)
)


@dataclass
class _Step:
    instance: ProcessInstance
    loaded: repository.LoadedSpec
    workflow: BpmnWorkflow
    log: EventLog
    # 退回/取回: task spec -> the user its next row goes to, instead of the BPMN rule.
    assignee_overrides: dict[str, int] = field(default_factory=dict)
    # 新待办 notices of the rows created in this step, sent together by ``_finish``.
    notices: list[NewTask] = field(default_factory=list)


def start(
    process_key: str,
    *,
    starter_id: int,
    data: dict[str, Any] | None = None,
    business_key: str | None = None,
    title: str | None = None,
) -> ProcessInstance:
    """Start the latest version of ``process_key`` and run it to its first wait state."""
    data = copy.deepcopy(data or {})
    loaded = repository.load_spec(repository.latest_version_id(process_key))
    starter = directory.get_user(starter_id)
    now = clock.now()
    instance = ProcessInstance(
        version_id=loaded.version_id,
        process_key=process_key,
        business_key=business_key,
        title=(title or str(data.get("title") or "") or loaded.spec.description or process_key),
        status="running",
        starter_id=starter.id,
        starter_unit_id=starter.unit_id,
        urgency=str(data.get("urgency") or "normal"),
        state_format=persistence.STATE_FORMAT,
        revision=0,
        created_at=now,
        updated_at=now,
    )
    db.session.add(instance)
    db.session.flush()
    workflow = BpmnWorkflow(
        loaded.spec, loaded.subprocess_specs, script_engine=make_script_engine()
    )
    # The sandbox's service context reads the instance id from here.
    workflow.data["oa_instance_id"] = instance.id
    for task in workflow.get_tasks(state=TaskState.READY):
        task.data.update(data)
    step = _Step(instance, loaded, workflow, open_log(instance))
    step.log.hold()  # the events go out together at the end of _finish
    with db.session.no_autoflush:
        step.log.append("instance_started", actor_id=starter_id, data={"data": data})
        _run_engine(step)
        _finish(step, [])
    return instance


def complete(
    task_id: int,
    *,
    actor_id: int,
    data: dict[str, Any] | None = None,
    expected_revision: int | None = None,
) -> ProcessInstance:
    """Complete a human task with form data as ``actor_id`` and run on to the next wait state.

    The data is validated against the task's form before anything is written or loaded, so a
    refused submission leaves the instance untouched.
    """
    data = copy.deepcopy(data or {})
    # Lock first (one statement finds and locks the instance), then read the rows under it.
    instance = lock_instance_of_task(task_id)
    open_rows, signers = _rows_for_completion(instance.id, task_id)
    _validate(task_id, open_rows, data)
    check_revision(instance, expected_revision)
    row = _pick_open(open_rows, task_id)
    _check_may_complete(row, actor_id)
    if instance.status != "running":
        raise Conflict("流程已挂起或已结束，暂不能办理", instance_id=instance.id)
    # Without 加签 rows, addsign.gate would only confirm ``data``: skip its two queries.
    if row.kind == addsign.KIND or signers:
        gated = addsign.gate(instance, row, actor_id, data)
        if gated is None:  # a 加签 step: rows changed, the engine does not move
            return instance
        data = gated
    # Rows and events are written with Core statements (``writes``); nothing to autoflush.
    with db.session.no_autoflush:
        step = _load(instance)
        step.log.hold()  # the events go out together at the end of _finish
        spiff_task = _ready_spiff_task(step.workflow, row)
        spiff_task.data.update(data)
        countersign.prepare(spiff_task)
        _close_row(row, "completed", actor_id)
        step.log.append(
            "task_completed",
            actor_id=actor_id,
            task_spec=row.task_spec,
            task_name=row.name,
            data={"task_id": row.id, "data": data},
        )
        _run_engine(step, spiff_task)
        _refresh_listing_fields(instance, spiff_task.data)
        _finish(step, [other for other in open_rows if other is not row])
    return instance


def claim(task_id: int, actor_id: int) -> HumanTask:
    """签收: a candidate takes a group task, which then appears only in their inbox."""
    row = _get_task_row(task_id)
    instance = lock_instance(row.instance_id)
    row = _get_task_row(task_id, fresh=True)
    if not row.active:
        raise Conflict(TASK_TAKEN_MESSAGE, task_id=task_id)
    if row.assignee_id == actor_id:
        return row
    if row.assignee_id is not None:
        raise Conflict("该任务已被他人签收", task_id=task_id)
    if not _is_candidate(row.id, actor_id):
        raise Forbidden("您不在该任务的候选办理人之中", task_id=task_id)
    row.assignee_id, row.status, row.claimed_at = actor_id, "claimed", clock.now()
    log = open_log(instance)
    log.append("task_claimed", actor_id=actor_id, task_spec=row.task_spec, task_name=row.name)
    instance.revision += 1
    instance.updated_at = clock.now()
    return row


def _validate(task_id: int, open_rows: list[HumanTask], data: dict[str, Any]) -> None:
    """The submission against the task's form, before anything is changed or checked further.

    A task without formKey is checked against the generic opinion form.
    """
    row = next((r for r in open_rows if r.id == task_id), None)
    if row is not None:
        form_key = row.form_key
    else:  # no longer open: the form still decides first, then the Conflict
        form_key = db.session.connection().execute(_TASK_FORM, {"task_id": task_id}).scalar()
    errors = forms.validate_submission(form_key, data)
    if errors:
        raise ValidationFailed("表单填写有误，请检查后重新提交", errors=errors)


def _get_task_row(task_id: int, *, fresh: bool = False) -> HumanTask:
    options = {"populate_existing": True} if fresh else {}
    row = db.session.scalars(_TASK_ROW, {"task_id": task_id}, execution_options=options).first()
    if row is None:
        raise NotFound("待办任务不存在", task_id=task_id)
    return row


def _is_candidate(task_id: int, user_id: int) -> bool:
    found = db.session.get(HumanTaskCandidate, (task_id, user_id))
    return found is not None


def _check_may_complete(row: HumanTask, actor_id: int) -> None:
    if row.assignee_id == actor_id:
        return
    if row.assignee_id is None and _is_candidate(row.id, actor_id):
        raise Forbidden("请先签收该任务再办理", task_id=row.id)
    raise Forbidden("您不是该任务的办理人", task_id=row.id)


def _load(instance: ProcessInstance) -> _Step:
    loaded = repository.load_spec(instance.version_id)
    workflow = persistence.load_state(
        instance.state,
        instance.state_format,
        spec=loaded.spec,
        subprocess_specs=loaded.subprocess_specs,
        script_engine=make_script_engine(),
    )
    return _Step(instance, loaded, workflow, open_log(instance))


def _ready_spiff_task(workflow: BpmnWorkflow, row: HumanTask) -> Any:
    task = workflow.get_task_from_id(UUID(row.engine_task_id))
    if task is None or task.state != TaskState.READY:
        raise Conflict(TASK_TAKEN_MESSAGE, task_id=row.id)
    return task


def _run_engine(step: _Step, completed: Any = None) -> None:
    """Run the given user task (if any) and everything automatic after it."""

    def record(task: Any) -> None:
        kind = _RECORDED_KINDS.get(type(task.task_spec).__name__)
        if kind:
            step.log.append(
                kind,
                task_spec=task.task_spec.bpmn_id,
                task_name=_task_name(task),
                data=_automatic_details(task),
            )

    try:
        if completed is not None:
            completed.run()
        # A failing service task becomes a BPMN error or an incident, not a rollback.
        incidents.run_engine_steps(step, record)
    except SpiffWorkflowException as exc:
        raise _engine_error(step, exc) from exc


def _automatic_details(task: Any) -> dict[str, Any]:
    if type(task.task_spec).__name__ == "ServiceTask":
        return incidents.service_details(task)
    if "Gateway" in type(task.task_spec).__name__:
        chosen = [
            c for c in task.children if c.has_state(TaskState.DEFINITE_MASK | TaskState.COMPLETED)
        ]
        return {"next": [_task_name(c) for c in chosen]}
    return {}


def _engine_error(step: _Step, exc: SpiffWorkflowException) -> EngineError:
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


def _task_name(task: Any) -> str:
    spec = task.task_spec
    return str(getattr(spec, "bpmn_name", None) or getattr(spec, "bpmn_id", None) or spec.name)


def _refresh_listing_fields(instance: ProcessInstance, data: dict[str, Any]) -> None:
    """Title and 紧急程度 are copied from the business data for listing."""
    if data.get("title"):
        instance.title = str(data["title"])[:300]
    if data.get("urgency"):
        instance.urgency = str(data["urgency"])[:20]


def _finish(step: _Step, open_rows: list[HumanTask]) -> None:
    """Write human tasks, completion, state and revision in the caller's transaction.

    ``open_rows`` are the instance's still-active task rows as read under the lock.
    """
    _sync_human_tasks(step, open_rows)
    task_notices.send(step.notices)
    # Timers and message waits become rows the scheduler polls (engine/runtime/timers.py).
    timers.sync_timers(step.instance, step.workflow, step.log)
    messages.sync_messages(step.instance, step.workflow, step.log)
    instance, now = step.instance, clock.now()
    values: dict[str, Any] = {}
    if step.workflow.is_completed():
        values.update(status="completed", ended_at=now)
        step.log.append("instance_completed")
    writes.update_instance(
        instance,
        {
            **values,
            # With the listing fields and the chain head, which change on almost every step.
            "title": instance.title,
            "urgency": instance.urgency,
            "event_seq": instance.event_seq,
            "event_hash": instance.event_hash,
            "state": persistence.dump_state(step.workflow),
            "state_format": persistence.STATE_FORMAT,
            "revision": instance.revision + 1,
            "updated_at": now,
        },
    )
    step.log.release()


def _open_rows(instance_id: int) -> list[HumanTask]:
    """The active task rows, re-read: objects loaded before the lock may be stale."""
    query = select(HumanTask).where(
        HumanTask.instance_id == instance_id, HumanTask.active == true()
    )
    return list(db.session.scalars(query.execution_options(populate_existing=True)))


def _rows_for_completion(instance_id: int, task_id: int) -> tuple[list[HumanTask], bool]:
    """The active rows (as ``_open_rows``) and whether task ``task_id`` has live 加签 rows.

    One query instead of three: the 加签 rows of the task (any status) come along with the
    active rows, and are told apart here with the statuses ``addsign.gate`` looks at.
    """
    params = {"instance_id": instance_id, "task_id": task_id}
    rows = list(db.session.scalars(_ROWS_FOR_COMPLETION, params))
    live = ("open", "claimed", addsign.WAITING)
    signers = any(r.parent_id == task_id and r.status in live for r in rows)
    return [r for r in rows if r.active and r.instance_id == instance_id], signers


def _pick_open(open_rows: list[HumanTask], task_id: int) -> HumanTask:
    for row in open_rows:
        if row.id == task_id:
            return row
    raise Conflict(TASK_TAKEN_MESSAGE, task_id=task_id)


def _sync_human_tasks(step: _Step, open_rows: list[HumanTask]) -> None:
    """Rows for manual tasks that became READY; cancel rows whose task went away."""
    ready = {
        str(task.id): task for task in step.workflow.get_tasks(state=TaskState.READY, manual=True)
    }
    for row in open_rows:
        if row.engine_task_id not in ready:
            _close_row(row, "cancelled", None)
            step.log.append("task_cancelled", task_spec=row.task_spec, task_name=row.name)
    known = {row.engine_task_id for row in open_rows}
    for spiff_id, task in ready.items():
        if spiff_id not in known:
            _create_row(step, task)


def _close_row(row: HumanTask, status: str, actor_id: int | None) -> None:
    values = {"status": status, "active": False, "completed_at": clock.now()}
    writes.update_task(row, {**values, "completed_by_id": actor_id})


def _create_row(step: _Step, task: Any) -> int:
    """The one place a human-task row is created (with its candidates); returns its id."""
    instance = step.instance
    props = _properties(task)
    assigned, delegated_from = delegation.redirect(
        _assign(step, task, props),
        instance.process_key,
        override=step.assignee_overrides.get(task.task_spec.bpmn_id),
    )
    assignee_id = assigned.user_ids[0] if len(assigned.user_ids) == 1 else None
    values = {
        "instance_id": instance.id,
        "spiff_task_id": str(task.id),
        "task_spec": task.task_spec.bpmn_id or task.task_spec.name,
        "name": _task_name(task),
        "process_key": instance.process_key,
        "form_key": props.get("formKey") or None,
        "assignee_id": assignee_id,
        "delegated_from_id": delegated_from,
        "status": "open",
        "active": True,
        "priority": _priority(props),
        "urgency": instance.urgency,
        "due_at": _due_at(step, task, props),
        "title": _task_title(step, task, props),
        "business_key": instance.business_key,
        "created_at": clock.now(),
    }
    candidates = _candidates(assigned) if assignee_id is None else []
    row_id = writes.insert_task(values, candidates)
    people = [assignee_id] if assignee_id is not None else candidates
    step.notices.append(
        task_notices.notice(row_id, values["name"], values["title"], instance.urgency, people)
    )
    step.log.append(
        "task_created",
        task_spec=values["task_spec"],
        task_name=values["name"],
        data={
            "spiff_task_id": values["spiff_task_id"],
            "assignee_id": assignee_id,
            "candidates": candidates,
            "delegated_from": delegated_from,
        },
    )
    return row_id


def _properties(task: Any) -> dict[str, str]:
    extensions = getattr(task.task_spec, "extensions", None) or {}
    return dict(extensions.get("properties") or {})


def _assign(step: _Step, task: Any, props: dict[str, str]) -> assignment.Assignment:
    """Resolve the task's assignee rule; a task without one goes to the starter."""
    text = props.get("assignee")
    try:
        rule = assignment.parse_rule(text)
        return assignment.resolve(
            rule,
            data=task.data,
            starter_id=step.instance.starter_id,
            decide=step.loaded.decide,
        )
    except ValueError as exc:
        raise _task_error(step, task, f"办理人规则“{text}”无法解析：{exc}") from exc
    except EngineError as exc:
        raise _task_error(step, task, exc.message) from exc


def _candidates(assigned: assignment.Assignment) -> list[int]:
    return sorted(set(assigned.user_ids) | set(assigned.candidate_user_ids))


def _task_error(step: _Step, task: Any, message: str) -> EngineError:
    return EngineError(
        f"任务“{_task_name(task)}”：{message}",
        process_key=step.instance.process_key,
        instance_id=step.instance.id,
        task_spec=task.task_spec.bpmn_id,
    )


def _priority(props: dict[str, str]) -> int:
    try:
        return int(props.get("priority") or 0)
    except ValueError:
        return 0


def _due_at(step: _Step, task: Any, props: dict[str, str]) -> datetime | None:
    text = (props.get("dueIn") or "").strip()
    if not text:
        return None
    if not deadlines.is_literal(text):  # e.g. deadlines by 紧急程度 computed by a service
        try:
            text = str(step.workflow.script_engine.evaluate(task, text)).strip()
        except SpiffWorkflowException as exc:
            raise _task_error(step, task, f"办理期限表达式出错：{exc}") from exc
    try:
        parsed = TimerEventDefinition.parse_iso_duration(text)
        now = clock.now()
        return now + TimerEventDefinition.get_timedelta_from_start(parsed, start=now)
    except (ValueError, TypeError) as exc:
        raise _task_error(
            step, task, f"办理期限“{text}”不是 ISO-8601 时长（如 P3D、PT4H）"
        ) from exc


def _task_title(step: _Step, task: Any, props: dict[str, str]) -> str:
    expression = (props.get("title") or "").strip()
    if not expression:
        return step.instance.title
    try:
        return str(step.workflow.script_engine.evaluate(task, expression))[:300]
    except SpiffWorkflowException as exc:
        raise _task_error(step, task, f"任务标题表达式出错：{exc}") from exc
