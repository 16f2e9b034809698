"""委托: a user's own delegation rules (new tasks go to the delegate for a period) and the
tasks that went to a delegate. Each user manages only their own rules."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Response, g, jsonify

from engine import api
from services.db import db
from services.errors import Forbidden, NotFound, ValidationFailed
from web.api import bp, serialize
from web.api.payload import json_body, optional_int, optional_text

NOT_YOURS = "只能撤销本人的委托"


def _moment(body: dict[str, Any], name: str) -> datetime:
    raw = optional_text(body, name, 40)
    try:
        value = datetime.fromisoformat(raw or "")
    except ValueError as exc:
        raise ValidationFailed("时间格式有误", errors={name: "应为带时区的 ISO 8601 时间"}) from exc
    if value.tzinfo is None:
        raise ValidationFailed("时间格式有误", errors={name: "须带时区，如 +08:00"})
    return value


def _process_keys(body: dict[str, Any]) -> list[str] | None:
    keys = body.get("process_keys")
    if keys is None:
        return None
    if isinstance(keys, list) and all(isinstance(k, str) and 0 < len(k) <= 100 for k in keys):
        return keys
    raise ValidationFailed("流程范围有误", errors={"process_keys": "应为流程标识的列表"})


@bp.post("/delegations")
def create_delegation() -> tuple[Response, int]:
    body = json_body()
    delegate_id = optional_int(body, "delegate_id")
    if delegate_id is None:
        raise ValidationFailed("缺少受托人", errors={"delegate_id": "必填，应为用户编号"})
    rule_id = api.delegate(
        g.user.id,
        delegate_id,
        starts_at=_moment(body, "starts_at"),
        ends_at=_moment(body, "ends_at"),
        process_keys=_process_keys(body),
        reason=optional_text(body, "reason", 300) or "",
    )
    db.session.commit()
    return jsonify({"id": rule_id}), 201


@bp.post("/delegations/<int(max=2147483647):delegation_id>/revoke")
def revoke_delegation(delegation_id: int) -> Response:
    try:
        api.revoke_delegation(delegation_id, actor_id=g.user.id)
    except NotFound as exc:  # answer like someone else's rule: ids are not probed this way
        raise Forbidden(NOT_YOURS) from exc
    db.session.commit()
    return jsonify({"id": delegation_id, "revoked": True})


@bp.get("/delegations/tasks")
def delegated_tasks() -> Response:
    return jsonify([serialize.task(task) for task in api.delegated_tasks(g.user.id)])
