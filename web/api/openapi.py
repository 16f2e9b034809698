"""The OpenAPI 3.1 document of /api/v1, maintained by hand next to the routes it describes.

A test validates it with openapi-spec-validator and fuzzes every operation with schemathesis,
so a route added without its entry here, or an entry that lies, is caught.
"""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify

from web.api import bp
from web.api.openapi_circulation import CIRCULATION_PATHS
from web.api.openapi_intake import INTAKE_PATHS
from web.api.openapi_operations import ADMIN_PATHS, DELEGATION_PATHS, OPERATION_PATHS
from web.api.openapi_parts import (
    body,
    errors,
    json_body,
    json_content,
    op,
    path_id,
    query,
    replies,
)
from web.api.openapi_schemas import (
    ANY_OBJECT,
    NULLABLE_INT,
    NULLABLE_TEXT,
    SCHEMAS,
    TEXT,
    obj,
    ref,
)

NON_EMPTY = {"type": "string", "minLength": 1}
POSITIVE = {"type": "integer", "minimum": 1}
PROCESS_KEY = {"name": "key", "in": "path", "required": True, "schema": TEXT}
LIMIT = query("limit", {"type": "integer", "minimum": 1, "maximum": 50}, "最多条数")
MESSAGE_QUEUED = obj(
    {"name": TEXT, "accepted": {"type": "boolean"}, "id": NULLABLE_INT}, ("name", "accepted")
)

AUTH_PATHS: dict[str, Any] = {
    "/auth/token": {
        "post": op(
            "用户名密码换取访问令牌与刷新令牌（与网页登录同样的锁定与审计）",
            replies(ref("TokenPair"), "令牌", 401, 403, 422),
            requestBody=body(ref("Credentials")),
            security=[],
        )
    },
    "/auth/refresh": {
        "post": op(
            "用刷新令牌换取新的一对令牌（刷新令牌只能使用一次）",
            replies(ref("TokenPair"), "新令牌", 401, 403, 422),
            requestBody=json_body({"refresh_token": NON_EMPTY}, ("refresh_token",)),
            security=[],
        )
    },
    "/auth/revoke": {
        "post": op(
            "吊销令牌所属的整次登录（访问令牌与刷新令牌）",
            replies(obj({"revoked": {"type": "integer"}}, ("revoked",)), "已吊销", 401, 422),
            requestBody=json_body({"token": NON_EMPTY}, ("token",)),
            security=[],
        )
    },
}

DEFINITION_PATHS: dict[str, Any] = {
    "/process-definitions": {
        "get": op(
            "已部署的流程及其最新版本",
            replies({"type": "array", "items": ref("Definition")}, "流程列表", 401),
        ),
        "post": op(
            "上传 BPMN/DMN 文件部署新版本（系统管理员或流程设计员）",
            {
                **replies(
                    {"type": "array", "items": ref("Deployed")}, "已部署的流程与版本", status=201
                ),
                "422": json_content(ref("DeployProblems"), "文件未通过部署校验，逐条列出问题"),
                **errors(401, 403),
            },
            requestBody={
                "required": True,
                "content": {
                    "multipart/form-data": {
                        "schema": obj(
                            {
                                "files": {
                                    "type": "array",
                                    "items": {"type": "string", "format": "binary"},
                                },
                                "comment": TEXT,
                            },
                            required=("files",),
                        )
                    }
                },
            },
        ),
    },
    "/process-definitions/{key}/diff": {
        "get": op(
            "两个版本之间新增、删除、修改的节点（系统管理员或流程设计员）",
            replies(ANY_OBJECT, "差异", 401, 403, 404, 422),
            parameters=[
                PROCESS_KEY,
                query("from", POSITIVE, "旧版本号"),
                query("to", POSITIVE, "新版本号"),
            ],
        )
    },
    "/process-definitions/{key}/versions": {
        "get": op(
            "某流程的全部版本（从旧到新）",
            replies({"type": "array", "items": ref("Version")}, "版本列表", 401, 404),
            parameters=[PROCESS_KEY],
        )
    },
}

INSTANCE_PATHS: dict[str, Any] = {
    "/process-instances": {
        "post": op(
            "发起流程（最新版本；由消息、定时器启动或只供调用的流程不能手工发起：403）",
            replies(ref("Instance"), "新实例及其当前任务", 401, 403, 404, 422, status=201),
            requestBody=json_body(
                {"process_key": NON_EMPTY, "data": ANY_OBJECT, "business_key": NULLABLE_TEXT},
                ("process_key",),
            ),
        )
    },
    "/process-instances/{instance_id}": {
        "get": op(
            "流程实例状态与当前任务（发起人、参与人、系统管理员可见）",
            replies(ref("Instance"), "实例", 401, 403),
            parameters=[path_id("instance_id", "实例编号")],
        )
    },
    "/process-instances/{instance_id}/events": {
        "get": op(
            "流程实例的历史事件与哈希链校验结果",
            replies(ref("Events"), "历史", 401, 403),
            parameters=[path_id("instance_id", "实例编号")],
        )
    },
}

TASK_PATHS: dict[str, Any] = {
    "/tasks": {
        "get": op(
            "我的任务（待办、可签收、已办、超期）",
            replies(ref("TaskPage"), "一页任务", 401, 422),
            parameters=[
                query("scope", {"enum": ["mine"]}, "范围：目前只有 mine"),
                query("box", {"enum": ["todo", "claimable", "done", "overdue"]}, "分类"),
                query("process_key", TEXT, "流程标识"),
                query("urgency", TEXT, "紧急程度"),
                query("keyword", TEXT, "标题关键字"),
                query("unit_id", POSITIVE, "流程所属单位"),
                query("sort", {"enum": ["due", "created", "priority"]}, "排序"),
                query("page", POSITIVE, "页码"),
                query("per_page", {"type": "integer", "minimum": 1, "maximum": 200}, "每页条数"),
            ],
        )
    },
    "/tasks/{task_id}": {
        "get": op(
            "任务详情及其表单（JSON Schema 与界面提示）",
            replies(ref("TaskWithForm"), "任务", 401, 403),
            parameters=[path_id("task_id", "任务编号")],
        )
    },
    "/tasks/{task_id}/claim": {
        "post": op(
            "签收组任务",
            replies(ref("Task"), "已签收的任务", 401, 403, 409),
            parameters=[path_id("task_id", "任务编号")],
        )
    },
    "/tasks/{task_id}/complete": {
        "post": op(
            "提交任务（表单数据在服务端按表单的 JSON Schema 校验）",
            replies(ref("Instance"), "实例及其新的当前任务", 401, 403, 409, 422),
            parameters=[path_id("task_id", "任务编号")],
            requestBody=json_body({"data": ANY_OBJECT, "expected_revision": NULLABLE_INT}),
        )
    },
}

ORG_PATHS: dict[str, Any] = {
    "/org/users": {
        "get": op(
            "按姓名或登录名查找用户",
            replies({"type": "array", "items": ref("User")}, "用户", 401, 404, 422),
            parameters=[query("q", TEXT, "关键字"), query("unit_id", POSITIVE, "限定单位"), LIMIT],
        )
    },
    "/org/units": {
        "get": op(
            "按名称、简称或代码查找单位",
            replies({"type": "array", "items": ref("Unit")}, "单位", 401, 422),
            parameters=[query("q", TEXT, "关键字"), LIMIT],
        )
    },
}

MESSAGE_PATHS: dict[str, Any] = {
    "/messages": {
        "post": op(
            "向等待中的流程实例发送消息（系统管理员）",
            {
                **replies(MESSAGE_QUEUED, "消息已排队", status=202),
                "501": json_content(ref("Error"), "引擎暂不支持"),
                **errors(401, 403, 422),
            },
            requestBody=json_body(
                {"name": NON_EMPTY, "correlation": ANY_OBJECT, "payload": ANY_OBJECT}, ("name",)
            ),
        )
    },
}


def document() -> dict[str, Any]:
    """The OpenAPI 3.1 document (paths relative to the /api/v1 server)."""
    paths: dict[str, Any] = {}
    for group in (
        AUTH_PATHS,
        DEFINITION_PATHS,
        INSTANCE_PATHS,
        TASK_PATHS,
        OPERATION_PATHS,
        ADMIN_PATHS,
        DELEGATION_PATHS,
        CIRCULATION_PATHS,
        ORG_PATHS,
        MESSAGE_PATHS,
        INTAKE_PATHS,
    ):
        paths.update(group)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "政务协同办公平台 API",
            "version": "1.0.0",
            "description": (
                "以 Bearer 访问令牌调用；错误统一为 "
                '{"error": {"code", "message"}}，message 为中文。'
            ),
        },
        "servers": [{"url": "/api/v1"}],
        "paths": paths,
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
            },
        },
        "security": [{"bearer": []}],
    }


@bp.get("/openapi.json")
def spec() -> Response:
    return jsonify(document())
