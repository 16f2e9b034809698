"""Operations on running instances besides completing tasks: 转办, suspend/resume/terminate, 疏通.

Each runs under the instance lock, checks who may do it (the task holder or a 系统管理员),
refuses with a Chinese message what it must not allow, and is recorded in the instance history.
退回/取回 are in ``sendback``, 加签 in ``addsign``, 委托 in ``delegation``.
"""

from __future__ import annotations

import copy
from typing import Any
from uuid import UUID

from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select, update

from engine import forms
from engine.runtime import countersign, incidents, runtime, task_notices
from engine.runtime.history import open_log
from engine.runtime.locking import lock_instance
from engine.runtime.models import HumanTask, ProcessInstance
from engine.runtime.wait_models import EngineTimer
from services import clock
from services.db import db
from services.errors import Conflict, Forbidden, ValidationFailed
from services.org import directory, grants
from services.org.roles import SYSADMIN

# Timer rows that would still fire (or wait for a retry): a terminated instance has none.
_LIVE_TIMERS = ("pending", "claimed", "failed")


def is_admin(user_id: int) -> bool:
    """System administrators run the admin operations (and may 转办 any task)."""
    return grants.has_role(directory.get_user(user_id), SYSADMIN)


def reassign(task_id: int, actor_id: int, to_user_id: int, reason: str) -> HumanTask:
    """转办: the holder (or an admin) hands an open task to ``to_user_id``."""
    _require_reason(reason, "转办")
    row = runtime.get_task_row(task_id)
    instance = lock_instance(row.instance_id)
    row = runtime.pick_open(runtime.open_rows(instance.id), task_id)
    _require_running(instance)
    if row.assignee_id != actor_id and not is_admin(actor_id):
        raise Forbidden("只有当前办理人或系统管理员可以转办", task_id=task_id)
    if to_user_id == row.assignee_id or not directory.get_user(to_user_id).active:
        raise ValidationFailed("转办对象无效", errors={"to_user_id": "请选择其他在职人员"})
    previous = row.assignee_id
    row.assignee_id, row.status, row.claimed_at = to_user_id, "open", None
    row.candidates = []
    task_notices.send([task_notices.notice(row.id, row.name, row.title, row.urgency, [to_user_id])])
    _record(
        instance,
        "task_reassigned",
        actor_id,
        row,
        reason,
        from_user_id=previous,
        to_user_id=to_user_id,
    )
    return row


def suspend(instance_id: int, admin_id: int, reason: str) -> ProcessInstance:
    """Suspend a running instance: its tasks stay listed but cannot be completed."""
    instance = _admin_lock(instance_id, admin_id, reason, "挂起")
    if instance.status != "running":
        raise Conflict("只有运行中的流程可以挂起", instance_id=instance_id)
    instance.status = "suspended"
    _record(instance, "instance_suspended", admin_id, None, reason)
    return instance


def resume(instance_id: int, admin_id: int, reason: str) -> ProcessInstance:
    """Resume a suspended instance."""
    instance = _admin_lock(instance_id, admin_id, reason, "恢复")
    if instance.status != "suspended":
        raise Conflict("只有已挂起的流程可以恢复", instance_id=instance_id)
    instance.status = "running"
    _record(instance, "instance_resumed", admin_id, None, reason)
    return instance


def terminate(instance_id: int, admin_id: int, reason: str) -> ProcessInstance:
    """Terminate a running, suspended or stuck (``error``) instance: its open (and waiting 加签)
    rows and its timers are cancelled, its open incidents closed."""
    instance = _admin_lock(instance_id, admin_id, reason, "终止")
    if instance.status not in ("running", "suspended", incidents.ERROR_STATUS):
        raise Conflict("流程已结束，无法终止", instance_id=instance_id)
    query = select(HumanTask).where(
        HumanTask.instance_id == instance_id,
        HumanTask.status.in_(("open", "claimed", "waiting")),
    )
    for row in db.session.scalars(query):
        row.status, row.active, row.completed_at = "cancelled", False, clock.now()
    db.session.execute(
        update(EngineTimer)
        .where(EngineTimer.instance_id == instance_id, EngineTimer.status.in_(_LIVE_TIMERS))
        .values(status="cancelled", claimed_by=None)
        .execution_options(synchronize_session=False)
    )
    incidents.close_all(instance_id, admin_id)
    instance.status, instance.ended_at = "terminated", clock.now()
    _record(instance, "instance_terminated", admin_id, None, reason)
    return instance


def unblock(
    instance_id: int,
    admin_id: int,
    reason: str,
    *,
    task_id: int | None = None,
    data: dict[str, Any] | None = None,
    skip_task_spec: str | None = None,
) -> ProcessInstance:
    """疏通: an admin moves a stuck instance (running, or ``error`` after a service failure) on.

    ``task_id``: complete that stuck human task on behalf of its holder with ``data`` (validated
    against its form). ``skip_task_spec``: mark a stuck automatic task (e.g. a failed or hanging
    service task) as done without running it; ``data``, if given, is its result (merged into
    the process data as if the service had returned it). Either way the engine then runs on,
    and the incidents of tasks that moved on are closed.
    """
    if (task_id is None) == (skip_task_spec is None):
        raise ValidationFailed("请指定要代办的任务或要跳过的环节", errors={"task_id": "二选一"})
    instance = _admin_lock(instance_id, admin_id, reason, "疏通")
    if instance.status not in ("running", incidents.ERROR_STATUS):
        raise Conflict("流程已挂起或已结束，无法疏通", instance_id=instance.id)
    open_rows = runtime.open_rows(instance.id)
    with db.session.no_autoflush:
        step = runtime.load(instance)
        instance.status = "running"  # back to error below if an incident stays (or reopens)
        if task_id is not None:
            row = runtime.pick_open(open_rows, task_id)
            open_rows = [other for other in open_rows if other is not row]
            _complete_on_behalf(step, row, admin_id, reason, copy.deepcopy(data or {}))
        else:
            _skip(step, str(skip_task_spec), admin_id, reason, copy.deepcopy(data or {}))
        incidents.settle(step, admin_id)
        runtime.finish(step, open_rows)
    return instance


def _complete_on_behalf(
    step: Any, row: HumanTask, admin_id: int, reason: str, data: dict[str, Any]
) -> None:
    errors = forms.validate_submission(row.form_key, data)
    if errors:
        raise ValidationFailed("表单填写有误，请检查后重新提交", errors=errors)
    spiff_task = runtime.ready_spiff_task(step.workflow, row)
    spiff_task.data.update(data)
    countersign.prepare(spiff_task)
    row.status, row.active = "completed", False
    row.completed_at, row.completed_by_id = clock.now(), admin_id
    step.log.append(
        "task_completed",
        actor_id=admin_id,
        task_spec=row.task_spec,
        task_name=row.name,
        data={
            "task_id": row.id,
            "data": data,
            "on_behalf_of": row.assignee_id,
            "unblock_reason": reason,
        },
    )
    runtime.run_engine(step, spiff_task)


def _skip(step: Any, task_spec: str, admin_id: int, reason: str, data: dict[str, Any]) -> None:
    stuck = [
        task
        for task in step.workflow.get_tasks(
            state=TaskState.READY | TaskState.ERROR | TaskState.STARTED | TaskState.WAITING
        )
        if task.task_spec.bpmn_id == task_spec and not task.task_spec.manual
    ]
    if not stuck:
        raise ValidationFailed(
            "该环节当前没有待疏通的自动任务", errors={"skip_task_spec": task_spec}
        )
    for task in stuck:
        step.log.append(
            "task_skipped",
            actor_id=admin_id,
            task_spec=task_spec,
            task_name=runtime.task_name(task),
            data={"spiff_task_id": str(task.id), "reason": reason, "data": data},
        )
        task.data.update(copy.deepcopy(data))
        task.complete()
    runtime.run_engine(step)


def _admin_lock(instance_id: int, admin_id: int, reason: str, what: str) -> ProcessInstance:
    _require_reason(reason, what)
    if not is_admin(admin_id):
        raise Forbidden(f"只有系统管理员可以{what}流程", instance_id=instance_id)
    return lock_instance(instance_id)


def _require_reason(reason: str, what: str) -> None:
    if not reason.strip():
        raise ValidationFailed(f"请填写{what}理由", errors={"reason": f"请填写{what}理由"})


def _require_running(instance: ProcessInstance) -> None:
    if instance.status != "running":
        raise Conflict("流程已挂起或已结束，无法办理", instance_id=instance.id)


def _record(
    instance: ProcessInstance,
    kind: str,
    actor_id: int,
    row: HumanTask | None,
    reason: str,
    **details: Any,
) -> None:
    open_log(instance).append(
        kind,
        actor_id=actor_id,
        task_spec=row.task_spec if row is not None else None,
        task_name=row.name if row is not None else None,
        data={"task_id": row.id if row is not None else None, "reason": reason, **details},
    )
    instance.revision += 1
    instance.updated_at = clock.now()


def task_data(task_id: int) -> dict[str, Any]:
    """The current data of an open task (to prefill its form), read without locking."""
    row = runtime.get_task_row(task_id)
    if not row.active:
        raise Conflict(runtime.TASK_TAKEN_MESSAGE, task_id=task_id)
    instance = db.session.get(ProcessInstance, row.instance_id)
    assert instance is not None  # the foreign key guarantees it
    step = runtime.load(instance)
    task = step.workflow.get_task_from_id(UUID(row.engine_task_id))
    if task is None:
        raise Conflict(runtime.TASK_TAKEN_MESSAGE, task_id=task_id)
    return copy.deepcopy(dict(task.data))
