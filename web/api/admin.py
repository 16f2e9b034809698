"""Administration of instances: suspend, resume, terminate (system administrators), migration to
another version with a dry run first, and the auditor's replay."""

from __future__ import annotations

from typing import Any

from flask import Response, g, jsonify

from engine import api
from services.db import db
from services.errors import ValidationFailed
from services.org.roles import AUDITOR, SYSADMIN
from web.api import bp, serialize
from web.api.instances import instance_json
from web.api.payload import (
    MAX_INT,
    json_body,
    optional_int,
    optional_object,
    optional_text,
    required_text,
)
from web.security import roles_required

ACTIONS = {
    "suspend": api.suspend_instance,
    "resume": api.resume_instance,
    "terminate": api.terminate_instance,
}
MAX_MIGRATE = 500


@bp.post(
    "/process-instances/<int(max=2147483647):instance_id>/<any(suspend, resume, terminate):action>"
)
@roles_required(SYSADMIN)
def change_state(instance_id: int, action: str) -> Response:
    reason = required_text(json_body(), "reason")
    api.get_instance(instance_id)
    instance = ACTIONS[action](instance_id, admin_id=g.user.id, reason=reason)
    db.session.commit()
    return jsonify(instance_json(instance))


@bp.post("/process-instances/<int(max=2147483647):instance_id>/unblock")
@roles_required(SYSADMIN)
def unblock(instance_id: int) -> Response:
    body = json_body()
    api.get_instance(instance_id)
    instance = api.unblock_instance(
        instance_id,
        admin_id=g.user.id,
        reason=required_text(body, "reason"),
        task_id=optional_int(body, "task_id"),
        data=optional_object(body, "data"),
        skip_task_spec=optional_text(body, "skip_task_spec", 100),
    )
    db.session.commit()
    return jsonify(instance_json(instance))


@bp.get("/process-instances/<int(max=2147483647):instance_id>/replay")
@roles_required(AUDITOR, SYSADMIN)
def replay(instance_id: int) -> Response:
    report = api.replay_instance(instance_id)
    return jsonify({**serialize.view(report), "ok": report.ok})


@bp.get(
    "/process-instances/<int(max=2147483647):instance_id>/events/<int(max=2147483647):seq>/data"
)
@roles_required(AUDITOR, SYSADMIN)
def data_as_of(instance_id: int, seq: int) -> Response:
    return jsonify(
        {"instance_id": instance_id, "seq": seq, "data": api.data_as_of(instance_id, seq)}
    )


@bp.post("/timers/<int(max=2147483647):timer_id>/retry")
@roles_required(SYSADMIN)
def retry_timer(timer_id: int) -> Response:
    api.retry_timer(timer_id)
    db.session.commit()
    return jsonify({"id": timer_id, "status": "pending"})


@bp.post("/process-instances/migrations")
@roles_required(SYSADMIN)
def migrate() -> Response:
    body = json_body()
    ids, dry_run = _instance_ids(body), body.get("dry_run", True)
    if not isinstance(dry_run, bool):
        raise ValidationFailed("字段格式有误", errors={"dry_run": "应为 true 或 false"})
    to_version = body.get("to_version")
    if isinstance(to_version, bool) or not isinstance(to_version, int):
        raise ValidationFailed("缺少目标版本", errors={"to_version": "必填，应为版本号（整数）"})
    version_id = api.version_id_for(required_text(body, "process_key"), to_version)
    plan = api.plan_migration(ids, version_id)
    migrated = [] if dry_run else api.apply_migration(plan, g.user.id)
    db.session.commit()
    return jsonify({"plan": _plan_json(plan), "dry_run": dry_run, "migrated": migrated})


def _instance_ids(body: dict[str, Any]) -> list[int]:
    ids = body.get("instance_ids")
    if isinstance(ids, list) and 0 < len(ids) <= MAX_MIGRATE and all(map(_is_id, ids)):
        return ids
    message = f"必填，应为 1 到 {MAX_MIGRATE} 个实例编号的列表"
    raise ValidationFailed("实例列表有误", errors={"instance_ids": message})


def _is_id(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_INT


def _plan_json(plan: api.MigrationPlan) -> dict[str, Any]:
    items = [{**serialize.view(item), "allowed": item.allowed} for item in plan.instances]
    return {"to_version_id": plan.to_version_id, "allowed": plan.allowed, "instances": items}
