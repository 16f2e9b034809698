"""Start instances and complete their user tasks: lock, load, run to the next wait state, save.

One change of an instance is one ``Step`` (``engine.runtime.step``): the locked instance row,
the workflow rebuilt from its state, and its event log. ``finish`` then writes, in the caller's
transaction, the new state (compacted, next revision), the human-task rows of tasks that became
ready or went away (``engine.runtime.task_rows``), and the history events. Nothing here commits.
"""

from __future__ import annotations

import copy
from typing import Any

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import bindparam, select

from engine import forms
from engine.definitions import repository
from engine.definitions.repository import LoadedSpec
from engine.runtime import (
    addsign,
    countersign,
    messages,
    persistence,
    task_notices,
    task_rows,
    timers,
    writes,
)
from engine.runtime.history import open_log
from engine.runtime.locking import check_revision, lock_instance, lock_instance_of_task
from engine.runtime.models import HumanTask, ProcessInstance
from engine.runtime.step import (
    TASK_TAKEN_MESSAGE,
    Step,
    automatic_details,
    load,
    ready_spiff_task,
    run_engine,
    task_name,
)
from engine.runtime.task_rows import (
    close_row,
    get_task_row,
    is_candidate,
    open_rows,
    pick_open,
    properties,
    rows_for_completion,
)
from engine.sandbox import make_script_engine
from services import clock
from services.db import db
from services.errors import Conflict, Forbidden, ValidationFailed
from services.org import directory
from services.org.models import User

# Re-exported for the operations modules (退回, 转办, timers, messages ...), which work on the
# same loaded step and task rows.
__all__ = [
    "TASK_TAKEN_MESSAGE",
    "Step",
    "automatic_details",
    "claim",
    "complete",
    "finish",
    "get_task_row",
    "load",
    "open_rows",
    "pick_open",
    "properties",
    "ready_spiff_task",
    "run_engine",
    "start",
    "task_name",
]

# The form of a task no longer open (``_validate``): one column, no ORM object.
_TASK_FORM = select(HumanTask.form_key).where(HumanTask.id == bindparam("task_id"))


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
    step = new_step(
        loaded,
        directory.get_user(starter_id),
        data,
        process_key=process_key,
        title=title or str(data.get("title") or "") or loaded.spec.description or process_key,
        business_key=business_key,
        urgency=str(data.get("urgency") or "normal"),
    )
    with db.session.no_autoflush:
        step.log.append("instance_started", actor_id=starter_id, data={"data": data})
        run_engine(step)
        finish(step, [])
    return step.instance


def new_step(
    loaded: LoadedSpec,
    starter: User,
    data: dict[str, Any],
    *,
    process_key: str,
    title: str,
    business_key: str | None = None,
    urgency: str = "normal",
) -> Step:
    """A new running instance of version ``loaded`` (its row flushed: it has its id) and the
    step that runs it from the start, ``data`` in its start tasks; events held until ``finish``.
    """
    now = clock.now()
    instance = ProcessInstance(
        version_id=loaded.version_id,
        process_key=process_key,
        business_key=business_key,
        title=title,
        status="running",
        starter_id=starter.id,
        starter_unit_id=starter.unit_id,
        urgency=urgency,
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
    step = Step(instance, loaded, workflow, open_log(instance))
    step.log.hold()  # the events go out together at the end of finish
    return step


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
    # Not one joined statement: on PostgreSQL a ``SELECT ... FOR UPDATE`` that waited for the
    # lock re-checks only the locked row; joined task rows would come from the snapshot taken
    # before the wait, i.e. possibly closed by the transaction we waited for.
    instance = lock_instance_of_task(task_id)
    rows, signers = rows_for_completion(instance.id, task_id)
    _validate(task_id, rows, data)
    check_revision(instance, expected_revision)
    row = pick_open(rows, task_id)
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
        step = load(instance)
        step.log.hold()  # the events go out together at the end of finish
        spiff_task = ready_spiff_task(step.workflow, row)
        spiff_task.data.update(data)
        countersign.prepare(spiff_task)
        close_row(row, "completed", actor_id)
        step.log.append(
            "task_completed",
            actor_id=actor_id,
            task_spec=row.task_spec,
            task_name=row.name,
            data={"task_id": row.id, "data": data},
        )
        run_engine(step, spiff_task)
        _refresh_listing_fields(instance, spiff_task.data)
        finish(step, [other for other in rows if other is not row])
    return instance


def claim(task_id: int, actor_id: int) -> HumanTask:
    """签收: a candidate takes a group task, which then appears only in their inbox."""
    row = get_task_row(task_id)
    instance = lock_instance(row.instance_id)
    row = get_task_row(task_id, fresh=True)
    if not row.active:
        raise Conflict(TASK_TAKEN_MESSAGE, task_id=task_id)
    if row.assignee_id == actor_id:
        return row
    if row.assignee_id is not None:
        raise Conflict("该任务已被他人签收", task_id=task_id)
    if not is_candidate(row.id, actor_id):
        raise Forbidden("您不在该任务的候选办理人之中", task_id=task_id)
    row.assignee_id, row.status, row.claimed_at = actor_id, "claimed", clock.now()
    log = open_log(instance)
    log.append("task_claimed", actor_id=actor_id, task_spec=row.task_spec, task_name=row.name)
    instance.revision += 1
    instance.updated_at = clock.now()
    return row


def _validate(task_id: int, rows: list[HumanTask], data: dict[str, Any]) -> None:
    """The submission against the task's form, before anything is changed or checked further.

    A task without formKey is checked against the generic opinion form.
    """
    row = next((r for r in rows if r.id == task_id), None)
    if row is not None:
        form_key = row.form_key
    else:  # no longer open: the form still decides first, then the Conflict
        form_key = db.session.connection().execute(_TASK_FORM, {"task_id": task_id}).scalar()
    errors = forms.validate_submission(form_key, data)
    if errors:
        raise ValidationFailed("表单填写有误，请检查后重新提交", errors=errors)


def _check_may_complete(row: HumanTask, actor_id: int) -> None:
    if row.assignee_id == actor_id:
        return
    if row.assignee_id is None and is_candidate(row.id, actor_id):
        raise Forbidden("请先签收该任务再办理", task_id=row.id)
    raise Forbidden("您不是该任务的办理人", task_id=row.id)


def _refresh_listing_fields(instance: ProcessInstance, data: dict[str, Any]) -> None:
    """Title and 紧急程度 are copied from the business data for listing."""
    if data.get("title"):
        instance.title = str(data["title"])[:300]
    if data.get("urgency"):
        instance.urgency = str(data["urgency"])[:20]


def finish(step: Step, rows: list[HumanTask]) -> None:
    """Write human tasks, completion, state and revision in the caller's transaction.

    ``rows`` are the instance's still-active task rows as read under the lock.
    """
    task_rows.sync_human_tasks(step, rows)
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
