"""加签: extra signers on a waiting task, as inbox rows of kind ``addsign`` (the BPMN is unchanged).

* before (前加签): the signer's row is open at once and gates the holder's task, which cannot be
  completed until every such row is done; the signer's opinion goes to history.
* after (后加签): the signer's row waits. When the holder completes, their data is kept in the
  history and the signer's row opens; when the last signer completes, the engine task completes
  with the holder's and the signers' data merged, and the process moves on.

Completion of a task row passes through ``gate`` (called by ``runtime.complete``).
"""

from __future__ import annotations

from typing import Any
from uuid import uuid4

from sqlalchemy import select

from engine.runtime import task_notices
from engine.runtime.history import open_log
from engine.runtime.locking import lock_instance
from engine.runtime.models import HumanTask, InstanceEvent, ProcessInstance
from services import clock
from services.db import db
from services.errors import Conflict, Forbidden, NotFound, ValidationFailed
from services.org import directory

POSITIONS = ("before", "after")
KIND = "addsign"
# A 后加签 row waits, inactive, until the holder has completed.
WAITING = "waiting"


def add_signer(task_id: int, actor_id: int, user_id: int, position: str, reason: str) -> HumanTask:
    """The holder of task ``task_id`` adds ``user_id`` as a signer before or after themselves."""
    _check_request(position, reason)
    row = _task_row(task_id)
    instance = lock_instance(row.instance_id)
    db.session.refresh(row)
    _check_may_add(instance, row, actor_id, user_id)
    signer = _new_signer_row(row, user_id, position)
    db.session.add(signer)
    db.session.flush()
    if signer.active:  # a signer "after" is told when their turn comes (``gate``)
        _notify(signer)
    open_log(instance).append(
        "addsign_added",
        actor_id=actor_id,
        task_spec=row.task_spec,
        task_name=row.name,
        data={
            "task_id": row.id,
            "signer_task_id": signer.id,
            "signer_id": user_id,
            "position": position,
            "reason": reason,
        },
    )
    _bump(instance)
    return signer


def _notify(signer: HumanTask) -> None:
    assert signer.assignee_id is not None  # signer rows always have one holder
    notice = task_notices.notice(
        signer.id, signer.name, signer.title, signer.urgency, [signer.assignee_id]
    )
    task_notices.send([notice])


def _check_request(position: str, reason: str) -> None:
    if position not in POSITIONS:
        raise ValidationFailed(
            "加签方式只能是前加签或后加签", errors={"position": "无效的加签方式"}
        )
    if not reason.strip():
        raise ValidationFailed("请填写加签理由", errors={"reason": "请填写加签理由"})


def _task_row(task_id: int) -> HumanTask:
    row = db.session.get(HumanTask, task_id)
    if row is None:
        raise NotFound("待办任务不存在", task_id=task_id)
    return row


def _check_may_add(instance: ProcessInstance, row: HumanTask, actor_id: int, user_id: int) -> None:
    if instance.status != "running" or not row.active:
        raise Conflict("该任务已办结或流程未在运行，无法加签", task_id=row.id)
    if row.kind != "task":
        raise Forbidden("加签人不能再加签", task_id=row.id)
    if row.assignee_id != actor_id:
        raise Forbidden("只有当前办理人可以加签", task_id=row.id)
    if user_id == actor_id or not directory.get_user(user_id).active:
        raise ValidationFailed("加签人无效", errors={"user_id": "请选择本人以外的在职人员"})
    if any(s.assignee_id == user_id for s in _signer_rows(row, ("open", "claimed", WAITING))):
        raise Conflict("该人员已是本任务的加签人", task_id=row.id)


def _new_signer_row(row: HumanTask, user_id: int, position: str) -> HumanTask:
    before = position == "before"
    return HumanTask(
        instance_id=row.instance_id,
        # A unique placeholder: the engine task is the parent's (``engine_task_id``).
        spiff_task_id=str(uuid4()),
        task_spec=row.task_spec,
        name=f"{row.name}（加签）",
        process_key=row.process_key,
        form_key=None,
        assignee_id=user_id,
        status="open" if before else WAITING,
        active=before,
        priority=row.priority,
        urgency=row.urgency,
        due_at=row.due_at,
        title=row.title,
        business_key=row.business_key,
        created_at=clock.now(),
        kind=KIND,
        parent_id=row.id,
    )


def _signer_rows(row: HumanTask, statuses: tuple[str, ...]) -> list[HumanTask]:
    query = (
        select(HumanTask)
        .where(HumanTask.parent_id == row.id, HumanTask.status.in_(statuses))
        .order_by(HumanTask.id)
    )
    return list(db.session.scalars(query))


def gate(
    instance: ProcessInstance, row: HumanTask, actor_id: int, data: dict[str, Any]
) -> dict[str, Any] | None:
    """Decide what completing ``row`` means: the data for the engine, or None when the
    completion was a 加签 step only (rows and history changed here, the engine does not move)."""
    holder = row.parent if row.kind == KIND and row.parent is not None else row
    if row is holder and _signer_rows(row, ("open", "claimed")):
        raise Conflict("请等待加签人办理完毕后再办理", task_id=row.id)
    if row is not holder and holder.active:
        _finish_row(instance, row, actor_id, "addsign_completed", data)
        return None
    waiting = _signer_rows(holder, (WAITING,))
    if waiting:
        _finish_row(instance, row, actor_id, "addsign_passed", data)
        waiting[0].status, waiting[0].active = "open", True
        _notify(waiting[0])
        return None
    if row is holder:
        return data
    return _merged_data(instance, holder) | data


def _finish_row(
    instance: ProcessInstance, row: HumanTask, actor_id: int, kind: str, data: dict[str, Any]
) -> None:
    row.status, row.active = "completed", False
    row.completed_at, row.completed_by_id = clock.now(), actor_id
    holder_id = row.parent_id or row.id
    open_log(instance).append(
        kind,
        actor_id=actor_id,
        task_spec=row.task_spec,
        task_name=row.name,
        data={"task_id": row.id, "holder_task_id": holder_id, "data": data},
    )
    _bump(instance)


def _merged_data(instance: ProcessInstance, holder: HumanTask) -> dict[str, Any]:
    """The data the holder and earlier 后加签 signers submitted, oldest first."""
    query = (
        select(InstanceEvent)
        .where(InstanceEvent.instance_id == instance.id, InstanceEvent.kind == "addsign_passed")
        .order_by(InstanceEvent.seq)
    )
    merged: dict[str, Any] = {}
    for event in db.session.scalars(query):
        if event.data.get("holder_task_id") == holder.id:
            merged.update(event.data.get("data") or {})
    return merged


def _bump(instance: ProcessInstance) -> None:
    instance.revision += 1
    instance.updated_at = clock.now()
