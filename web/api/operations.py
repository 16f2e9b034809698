"""Task operations of the holder: 退回 (send back), 转办 (reassign), 加签 (add signer), 取回
(withdraw). Each is checked like the task page (the task must be visible to the caller) and
then by the engine, which knows who may do what at this step."""

from __future__ import annotations

from typing import Any

from flask import Response, g, jsonify

from engine import api
from services.errors import ValidationFailed
from web.api import bp, serialize
from web.api.access import visible_task
from web.api.instances import instance_json
from web.api.payload import optional_int, optional_text, required_text
from web.api.tasks import act_on_task, committed

POSITIONS = ("before", "after")


def _user_id(body: dict[str, Any], name: str) -> int:
    value = optional_int(body, name)
    if value is None:
        raise ValidationFailed("缺少必填字段", errors={name: "必填，应为用户编号"})
    return value


def _position(body: dict[str, Any], name: str) -> str:
    position = optional_text(body, name, 10) or "before"
    if position not in POSITIONS:
        raise ValidationFailed("加签方式有误", errors={name: "应为 before 或 after"})
    return position


@bp.get("/tasks/<int(max=2147483647):task_id>/return-targets")
def return_targets(task_id: int) -> Response:
    visible_task(task_id, g.user)
    return jsonify([serialize.view(target) for target in api.returnable_targets(task_id)])


@bp.post("/tasks/<int(max=2147483647):task_id>/send-back")
def send_back(task_id: int) -> Response:
    instance = act_on_task(
        task_id, api.send_back, target_task_spec=required_text, reason=required_text
    )
    return committed(instance_json(instance))


@bp.post("/tasks/<int(max=2147483647):task_id>/reassign")
def reassign(task_id: int) -> Response:
    task = act_on_task(task_id, api.reassign_task, to_user_id=_user_id, reason=required_text)
    return committed(serialize.task(task))


@bp.post("/tasks/<int(max=2147483647):task_id>/add-signer")
def add_signer(task_id: int) -> Response:
    task = act_on_task(
        task_id, api.add_signer, position=_position, user_id=_user_id, reason=required_text
    )
    return committed(serialize.task(task))


@bp.post("/tasks/<int(max=2147483647):task_id>/withdraw")
def withdraw(task_id: int) -> Response:
    visible_task(task_id, g.user)
    return committed(instance_json(api.withdraw_task(task_id, actor_id=g.user.id)))
