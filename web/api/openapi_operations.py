"""OpenAPI paths of the task operations (退回, 转办, 加签, 取回), instance administration and
委托; the rest of the document is in ``openapi``."""

from __future__ import annotations

from typing import Any

from web.api.openapi_parts import json_body, op, path_id, replies
from web.api.openapi_schemas import ANY_OBJECT, STAMP, obj, ref

TASK_ID = [path_id("task_id", "任务编号")]
INSTANCE_ID = [path_id("instance_id", "实例编号")]
INT = {"type": "integer"}
REASON = {"type": "string", "minLength": 1, "maxLength": 1000}
USER_ID = {"type": "integer", "minimum": 1}
CHANGE_ERRORS = (401, 403, 404, 409, 422)
EVENT_DATA = obj({"instance_id": INT, "seq": INT, "data": ANY_OBJECT}, ("data",))

OPERATION_PATHS: dict[str, Any] = {
    "/tasks/{task_id}/return-targets": {
        "get": op(
            "可退回到的前序环节",
            replies({"type": "array", "items": ref("ReturnTarget")}, "环节", 401, 403),
            parameters=TASK_ID,
        )
    },
    "/tasks/{task_id}/send-back": {
        "post": op(
            "退回到前序环节（原办理人、原表单数据恢复）",
            replies(ref("Instance"), "实例", 401, 403, 409, 422),
            parameters=TASK_ID,
            requestBody=json_body(
                {"target_task_spec": {"type": "string", "minLength": 1}, "reason": REASON},
                ("target_task_spec", "reason"),
            ),
        )
    },
    "/tasks/{task_id}/reassign": {
        "post": op(
            "转办给他人",
            replies(ref("Task"), "转办后的任务", *CHANGE_ERRORS),
            parameters=TASK_ID,
            requestBody=json_body(
                {"to_user_id": USER_ID, "reason": REASON}, ("to_user_id", "reason")
            ),
        )
    },
    "/tasks/{task_id}/add-signer": {
        "post": op(
            "加签（before：先于本人办理；after：本人办理后、流程继续前）",
            replies(ref("Task"), "加签任务", *CHANGE_ERRORS),
            parameters=TASK_ID,
            requestBody=json_body(
                {"user_id": USER_ID, "position": {"enum": ["before", "after"]}, "reason": REASON},
                ("user_id", "reason"),
            ),
        )
    },
    "/tasks/{task_id}/withdraw": {
        "post": op(
            "取回本人已提交、后续尚未办理的任务",
            replies(ref("Instance"), "实例", 401, 403, 409),
            parameters=TASK_ID,
        )
    },
}


def _admin_action(summary: str, **fields: Any) -> dict[str, Any]:
    """A POST on one instance answering the instance; the body holds ``reason`` and ``fields``."""
    return {
        "post": op(
            summary,
            replies(ref("Instance"), "实例", *CHANGE_ERRORS),
            parameters=INSTANCE_ID,
            requestBody=json_body({"reason": REASON, **fields}, ("reason",)),
        )
    }


ADMIN_PATHS: dict[str, Any] = {
    "/process-instances/{instance_id}/suspend": _admin_action("挂起流程实例（系统管理员）"),
    "/process-instances/{instance_id}/resume": _admin_action("恢复流程实例（系统管理员）"),
    "/process-instances/{instance_id}/terminate": _admin_action("终止流程实例（系统管理员）"),
    "/process-instances/{instance_id}/unblock": _admin_action(
        "疏通：代为办理卡住的人工任务（task_id + data）或跳过卡住的自动环节（skip_task_spec）",
        task_id=USER_ID,
        data=ANY_OBJECT,
        skip_task_spec={"type": "string", "minLength": 1, "maxLength": 100},
    ),
    "/process-instances/{instance_id}/replay": {
        "get": op(
            "回放流程实例并核验（审计管理员、系统管理员）",
            replies(ref("Replay"), "回放结论", 401, 403, 404),
            parameters=INSTANCE_ID,
        )
    },
    "/process-instances/{instance_id}/events/{seq}/data": {
        "get": op(
            "回放到第 seq 条事件时的流程数据（审计管理员、系统管理员）",
            replies(EVENT_DATA, "数据", 401, 403, 404, 409),
            parameters=[*INSTANCE_ID, path_id("seq", "事件序号")],
        )
    },
    "/timers/{timer_id}/retry": {
        "post": op(
            "重试失败的定时器（系统管理员）",
            replies(
                obj({"id": INT, "status": {"type": "string"}}, ("id",)), "已重新排队", 401, 403, 404
            ),
            parameters=[path_id("timer_id", "定时器编号")],
        )
    },
    "/process-instances/migrations": {
        "post": op(
            "把实例迁移到另一版本：dry_run 为 true（默认）时只出预演报告",
            replies(ref("Migration"), "预演报告与已迁移的实例", *CHANGE_ERRORS),
            requestBody=json_body(
                {
                    "instance_ids": {
                        "type": "array",
                        "items": USER_ID,
                        "minItems": 1,
                        "maxItems": 500,
                    },
                    "process_key": {"type": "string", "minLength": 1},
                    "to_version": {"type": "integer", "minimum": 1},
                    "dry_run": {"type": "boolean"},
                },
                ("instance_ids", "process_key", "to_version"),
            ),
        )
    },
}

DELEGATION_PATHS: dict[str, Any] = {
    "/delegations": {
        "post": op(
            "设置本人的委托：时间段内新到的任务交给受托人",
            replies(obj({"id": INT}, ("id",)), "委托编号", 401, 404, 409, 422, status=201),
            requestBody=json_body(
                {
                    "delegate_id": USER_ID,
                    "starts_at": STAMP,
                    "ends_at": STAMP,
                    "process_keys": {"type": "array", "items": {"type": "string", "minLength": 1}},
                    "reason": {"type": "string", "maxLength": 300},
                },
                ("delegate_id", "starts_at", "ends_at"),
            ),
        )
    },
    "/delegations/{delegation_id}/revoke": {
        "post": op(
            "提前撤销本人的委托",
            replies(obj({"id": INT, "revoked": {"type": "boolean"}}, ("id",)), "已撤销", 401, 403),
            parameters=[path_id("delegation_id", "委托编号")],
        )
    },
    "/delegations/tasks": {
        "get": op(
            "委托给他人办理、本人仍可查看的任务",
            replies({"type": "array", "items": ref("Task")}, "任务", 401),
        )
    },
}
