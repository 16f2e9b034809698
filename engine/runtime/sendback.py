"""退回 (send back to any earlier completed user task) and 取回 (withdraw one's own completion).

The stored task tree is compacted at every save (``persistence``), so earlier tasks are usually
no longer in it and Spiff's ``reset_from_task_id`` cannot reach them. Both operations therefore
*graft*: the current branch below the start task is removed and a fresh task of the target spec
is hung there, then the engine runs as usual. What the target needs from its earlier run comes
from our event log: who completed it (the assignee to restore) and the form data they submitted.
The tree after a graft is as small as after the first visit, so a 退回 loop stays bounded.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from SpiffWorkflow.bpmn.specs.control import BoundaryEventSplit
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select

from engine.definitions import repository
from engine.runtime import runtime
from engine.runtime.locking import lock_instance
from engine.runtime.models import HumanTask, InstanceEvent, ProcessInstance
from services import clock
from services.db import db
from services.errors import Conflict, Forbidden, ValidationFailed

NEXT_DONE_MESSAGE = "下一环节已办理，无法取回"
# Events that may follow a completion without anyone having acted on the next task.
_AUTOMATIC_KINDS = frozenset(
    {
        "task_created",
        "task_cancelled",
        "gateway_passed",
        "script_run",
        "service_called",
        "subprocess_passed",
    }
)


@dataclass(frozen=True)
class ReturnTarget:
    """An earlier user task the current one may be sent back to."""

    task_spec: str
    name: str
    last_actor_id: int | None
    completed_at: datetime


def returnable_targets(task_id: int) -> list[ReturnTarget]:
    """The instance's earlier completed user tasks (latest completion each), oldest first."""
    row = runtime.get_task_row(task_id)
    instance = db.session.get(ProcessInstance, row.instance_id)
    assert instance is not None  # the foreign key guarantees it
    specs = repository.load_spec(instance.version_id).spec.task_specs
    found: dict[str, ReturnTarget] = {}
    for event in _completions(instance.id):
        name = event.task_spec or ""
        if name == row.task_spec or not _is_plain_user_task(specs.get(name)):
            continue
        # Re-inserting keeps the dict ordered by each target's latest completion.
        found.pop(name, None)
        found[name] = ReturnTarget(name, event.task_name or name, _doer(event), event.at)
    return list(found.values())


def send_back(task_id: int, actor_id: int, target_task_spec: str, reason: str) -> ProcessInstance:
    """退回: the holder of ``task_id`` sends the instance back to an earlier completed user task.

    The target gets its earlier assignee and, on top of the current data, the form data it
    submitted last time. Refused for non-holders, unknown or not-yet-done targets, no reason.
    """
    if not reason.strip():
        raise ValidationFailed("请填写退回理由", errors={"reason": "请填写退回理由"})
    instance, open_rows, row = _lock_open_row(task_id)
    if row.assignee_id != actor_id or row.kind != "task":
        raise Forbidden("只有当前办理人可以退回", task_id=task_id)
    spec, earlier = _check_target(instance, row, target_task_spec)
    with db.session.no_autoflush:
        step = runtime.load(instance)
        current = runtime.ready_spiff_task(step.workflow, row)
        data = copy.deepcopy(current.data) | (earlier.data.get("data") or {})
        _close(row, "returned", actor_id)
        step.log.append(
            "task_sent_back",
            actor_id=actor_id,
            task_spec=row.task_spec,
            task_name=row.name,
            data={
                "task_id": row.id,
                "target": target_task_spec,
                "reason": reason,
                "restored_assignee_id": _doer(earlier),
            },
        )
        _restart_at(step, spec, data, _doer(earlier))
        runtime.finish(step, [other for other in open_rows if other is not row])
    return instance


def withdraw(task_id: int, actor_id: int) -> ProcessInstance:
    """取回: the actor takes back task ``task_id`` they completed, while nobody has acted since.

    Conflict "下一环节已办理，无法取回" once a next task was claimed or completed (or any other
    person acted on the instance); refused too while parallel branches are open.
    """
    row = runtime.get_task_row(task_id)
    instance = lock_instance(row.instance_id)
    db.session.refresh(row)
    open_rows = _check_withdrawable(instance, row, actor_id)
    with db.session.no_autoflush:
        step = runtime.load(instance)
        spec = step.workflow.spec.task_specs.get(row.task_spec)
        waiting = step.workflow.get_tasks(state=TaskState.READY, manual=True)
        if not _is_plain_user_task(spec) or not waiting:
            raise Conflict("该环节不支持取回", task_id=task_id)
        step.log.append(
            "task_withdrawn",
            actor_id=actor_id,
            task_spec=row.task_spec,
            task_name=row.name,
            data={"task_id": row.id},
        )
        _restart_at(step, spec, copy.deepcopy(waiting[0].data), actor_id)
        runtime.finish(step, open_rows)
    return instance


def _check_target(
    instance: ProcessInstance, row: HumanTask, target_task_spec: str
) -> tuple[Any, InstanceEvent]:
    """The target's spec and its last completion; refused unless an earlier user task."""
    earlier = _last_completion(instance.id, target_task_spec)
    spec = repository.load_spec(instance.version_id).spec.task_specs.get(target_task_spec)
    if earlier is None or target_task_spec == row.task_spec or not _is_plain_user_task(spec):
        raise ValidationFailed(
            "只能退回到本流程中已办理过的环节",
            errors={"target_task_spec": "请选择已办理过的环节"},
        )
    return spec, earlier


def _check_withdrawable(
    instance: ProcessInstance, row: HumanTask, actor_id: int
) -> list[HumanTask]:
    """The open rows, if ``actor_id`` may take ``row`` back now; refusals otherwise."""
    if row.status != "completed" or row.completed_by_id != actor_id or row.kind != "task":
        raise Forbidden("只能取回本人办理的任务", task_id=row.id)
    if instance.status != "running":
        raise Conflict("流程已结束或已挂起，无法取回", instance_id=instance.id)
    open_rows = runtime.open_rows(instance.id)
    created = _created_since_completion(instance.id, row.id)
    if any(r.claimed_at is not None for r in open_rows):
        raise Conflict(NEXT_DONE_MESSAGE, task_id=row.id)
    if any(r.engine_task_id not in created for r in open_rows):
        raise Conflict("还有并行办理中的环节，无法取回", task_id=row.id)
    return open_rows


def _lock_open_row(task_id: int) -> tuple[ProcessInstance, list[HumanTask], HumanTask]:
    row = runtime.get_task_row(task_id)
    instance = lock_instance(row.instance_id)
    if instance.status != "running":
        raise Conflict("流程已挂起或已结束，无法办理", instance_id=instance.id)
    open_rows = runtime.open_rows(instance.id)
    return instance, open_rows, runtime.pick_open(open_rows, task_id)


def _completions(instance_id: int) -> list[InstanceEvent]:
    query = (
        select(InstanceEvent)
        .where(InstanceEvent.instance_id == instance_id, InstanceEvent.kind == "task_completed")
        .order_by(InstanceEvent.seq)
    )
    return list(db.session.scalars(query))


def _last_completion(instance_id: int, task_spec: str) -> InstanceEvent | None:
    query = (
        select(InstanceEvent)
        .where(
            InstanceEvent.instance_id == instance_id,
            InstanceEvent.kind == "task_completed",
            InstanceEvent.task_spec == task_spec,
        )
        .order_by(InstanceEvent.seq.desc())
        .limit(1)
    )
    return db.session.scalars(query).first()


def _created_since_completion(instance_id: int, row_id: int) -> set[str]:
    """Engine task ids created by the completion of ``row_id``; empty if anyone acted since."""
    query = (
        select(InstanceEvent)
        .where(InstanceEvent.instance_id == instance_id)
        .order_by(InstanceEvent.seq.desc())
    )
    created: set[str] = set()
    for event in db.session.scalars(query):
        if event.kind == "task_completed" and event.data.get("task_id") == row_id:
            return created
        if event.kind not in _AUTOMATIC_KINDS:
            raise Conflict(NEXT_DONE_MESSAGE, task_id=row_id)
        if event.kind == "task_created":
            created.add(str(event.data.get("spiff_task_id")))
    return set()


def _doer(event: InstanceEvent) -> int | None:
    """Who did the task: an admin's 疏通 completion counts for the person it was meant for."""
    on_behalf = event.data.get("on_behalf_of")
    return int(on_behalf) if on_behalf else event.actor_id


def _is_plain_user_task(spec: Any) -> bool:
    """A single-instance user task of the top-level process (会签 tasks restart as a whole)."""
    return spec is not None and bool(spec.manual) and not hasattr(spec, "task_spec")


def _close(row: HumanTask, status: str, actor_id: int) -> None:
    row.status, row.active = status, False
    row.completed_at, row.completed_by_id = clock.now(), actor_id


def _restart_at(step: Any, spec: Any, data: dict[str, Any], assignee_id: int | None) -> None:
    """Graft ``spec`` with ``data``, its next row going to ``assignee_id``, and run on."""
    restart_at(step.workflow, spec, data)
    if assignee_id is not None:
        step.assignee_overrides[spec.bpmn_id] = assignee_id
    runtime.run_engine(step)


def restart_at(workflow: Any, spec: Any, data: dict[str, Any]) -> None:
    """Replace the tree below the start task with a fresh task of ``spec`` holding ``data``.

    Engine-only (no rows, no history), so replay can repeat a recorded 退回/取回.
    """
    # The workflow's own spec object: the caller may hold one loaded elsewhere.
    spec = workflow.spec.task_specs[spec.name]
    start = workflow.task_tree.children[0]
    for child in list(start.children):
        for task in list(child):
            workflow.tasks.pop(task.id, None)
            # Waiting boundary timers/messages of the dropped branch must not stay armed:
            # the event manager would later hand a task that no longer exists to the scheduler.
            workflow.event_manager.tasks.pop(task.id, None)
    start._children = []
    entry = start._add_child(_entry_spec(workflow.spec, spec), TaskState.FUTURE)
    entry.reset_branch(copy.deepcopy(data))
    # reset_branch merged the start task's (older) data over ours: ours wins.
    entry.data = copy.deepcopy(data)
    workflow.last_task = entry


def _entry_spec(process_spec: Any, spec: Any) -> Any:
    """A task with boundary events is entered through its boundary split, which arms them."""
    for candidate in process_spec.task_specs.values():
        if isinstance(candidate, BoundaryEventSplit) and spec in candidate.outputs:
            return candidate
    return spec
