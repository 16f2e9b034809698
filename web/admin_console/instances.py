"""Instance operations (挂起 / 恢复 / 终止 / 疏通) and migration between versions."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from flask import flash, g, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from engine import api
from services.audit import log as audit
from services.db import db
from services.errors import Conflict, ValidationFailed
from services.org.roles import SYSADMIN
from web.admin_console import bp
from web.security import roles_required

OPERATIONS: dict[str, tuple[Callable[..., api.InstanceView], str]] = {
    "suspend": (api.suspend_instance, "挂起"),
    "resume": (api.resume_instance, "恢复"),
    "terminate": (api.terminate_instance, "终止"),
}


def _back(key: str) -> Response:
    """To the process page, or to the incident page when the form came from there."""
    if request.form.get("back") == "incidents":
        return redirect(url_for("admin_console.incidents"))
    return redirect(url_for("admin_console.definition", key=key))


@bp.post("/instances/<int:instance_id>/<any(suspend, resume, terminate):operation>")
@roles_required(SYSADMIN)
def operate(instance_id: int, operation: str) -> Response:
    action, label = OPERATIONS[operation]
    reason = request.form.get("reason", "")
    view = action(instance_id, admin_id=g.user.id, reason=reason)
    _audit(f"instance.{operation}", instance_id, reason)
    db.session.commit()
    flash(f"流程实例 {instance_id} 已{label}", "success")
    return _back(view.process_key)


@bp.post("/instances/<int:instance_id>/unblock")
@roles_required(SYSADMIN)
def unblock(instance_id: int) -> Response:
    form = request.form
    reason = form.get("reason", "")
    skip = form.get("skip_task_spec", "").strip() or None
    view = api.unblock_instance(
        instance_id,
        admin_id=g.user.id,
        reason=reason,
        task_id=form.get("task_id", type=int),
        skip_task_spec=skip,
        data=_result_data(form.get("result_json", "")),
    )
    _audit("instance.unblock", instance_id, reason, skip_task_spec=skip)
    db.session.commit()
    flash(f"流程实例 {instance_id} 已疏通", "success")
    return _back(view.process_key)


def _result_data(text: str) -> dict[str, Any] | None:
    """The result an admin gives a skipped service task: a JSON object, or nothing."""
    if not text.strip():
        return None
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise ValidationFailed(
            "结果数据不是有效的 JSON", errors={"result_json": "请填写 JSON 对象"}
        ) from exc
    if not isinstance(value, dict):
        raise ValidationFailed(
            "结果数据必须是 JSON 对象", errors={"result_json": '如 {"ok": true}'}
        )
    return value


@bp.post("/timers/<int:timer_id>/retry")
@roles_required(SYSADMIN)
def retry_timer(timer_id: int) -> Response:
    api.retry_timer(timer_id)
    audit.record("timer.retry", object_type="engine_timer", object_id=timer_id)
    db.session.commit()
    flash(f"定时器 {timer_id} 已重新排队", "success")
    return redirect(request.referrer or url_for("admin_console.index"))


def _audit(action: str, instance_id: int, reason: str, **detail: Any) -> None:
    audit.record(
        action,
        object_type="process_instance",
        object_id=instance_id,
        detail={"reason": reason, **detail},
    )


def _selection() -> tuple[list[int], int]:
    ids = [int(v) for v in request.form.getlist("instance_ids") if v.isdigit()]
    if not ids:
        raise ValidationFailed("请选择要迁移的流程实例", errors={"instance_ids": "未选择实例"})
    target = request.form.get("to_version_id", type=int)
    if target is None:
        raise ValidationFailed("请选择目标版本", errors={"to_version_id": "未选择版本"})
    return ids, target


@bp.post("/processes/<key>/migration/plan")
@roles_required(SYSADMIN)
def migration_plan(key: str) -> str:
    ids, target = _selection()
    plan = api.plan_migration(ids, target)
    return render_template("admin_console/migration.html", key=key, plan=plan)


@bp.post("/processes/<key>/migration/apply")
@roles_required(SYSADMIN)
def migration_apply(key: str) -> Response:
    ids, target = _selection()
    plan = api.plan_migration(ids, target)
    _refuse_if_moved(plan)
    migrated = api.apply_migration(plan, g.user.id)
    audit.record(
        "instance.migrate",
        object_type="process_version",
        object_id=target,
        detail={"instances": migrated},
    )
    db.session.commit()
    flash(f"已将 {len(migrated)} 个流程实例迁移到新版本", "success")
    return _back(key)


def _refuse_if_moved(plan: api.MigrationPlan) -> None:
    """The admin confirmed the dry run at certain revisions; anything newer needs a new look."""
    for item in plan.instances:
        seen = request.form.get(f"revision_{item.instance_id}", type=int)
        if seen != item.revision:
            raise Conflict(f"流程实例 {item.instance_id} 在预演之后有变化，请重新预演")
