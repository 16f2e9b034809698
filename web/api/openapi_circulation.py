"""OpenAPI paths of 传阅 (circulations, 待阅 items, batch 阅知, recall) and 催办."""

from __future__ import annotations

from typing import Any

from web.api.openapi_parts import body, errors, json_content, op, path_id, query
from web.api.openapi_schemas import NULLABLE_INT, NULLABLE_STAMP, STAMP, TEXT, obj

INT = {"type": "integer"}
IDS = {"type": "array", "items": {"type": "integer", "minimum": 1}, "maxItems": 500}
READING = obj(
    {
        "id": INT,
        "circulation_id": INT,
        "instance_id": INT,
        "reader_id": INT,
        "sender_id": INT,
        "status": {"enum": ["unread", "read", "recalled"]},
        "note": TEXT,
        "comment": TEXT,
        "created_at": STAMP,
        "read_at": NULLABLE_STAMP,
        "recalled_at": NULLABLE_STAMP,
        "title": TEXT,
        "business_key": {"type": ["string", "null"]},
        "process_key": TEXT,
    },
    ("id", "instance_id", "reader_id", "status", "created_at"),
)
READINGS = {"type": "array", "items": READING}

CIRCULATION_PATHS: dict[str, Any] = {
    "/process-instances/{instance_id}/circulations": {
        "post": op(
            "传阅：把流程文件发给人员、整个部门或整个单位（不阻塞流程，发起人和参与人可用）",
            {
                "201": json_content(
                    obj({"id": INT, "reader_ids": {"type": "array", "items": INT}}, ("id",)),
                    "传阅编号与收到待阅的人员",
                ),
                **errors(401, 403, 409, 422),
            },
            parameters=[path_id("instance_id", "实例编号")],
            requestBody=body(
                obj(
                    {
                        "user_ids": IDS,
                        "department_ids": IDS,
                        "unit_ids": IDS,
                        "note": {"type": "string", "maxLength": 500},
                        "task_id": NULLABLE_INT,
                    }
                )
            ),
        )
    },
    "/process-instances/{instance_id}/readings": {
        "get": op(
            "流程实例的传阅情况：谁已阅、何时阅、阅知意见",
            {"200": json_content(READINGS, "传阅记录"), **errors(401, 403)},
            parameters=[path_id("instance_id", "实例编号")],
        )
    },
    "/circulations/{circulation_id}/recall": {
        "post": op(
            "传阅人撤回尚未阅知的待阅（全部，或 item_ids 指定的几项）",
            {
                "200": json_content(obj({"id": INT, "recalled": INT}, ("recalled",)), "已撤回"),
                **errors(401, 403, 409, 422),
            },
            parameters=[path_id("circulation_id", "传阅编号")],
            requestBody={
                "required": False,
                "content": {"application/json": {"schema": obj({"item_ids": IDS})}},
            },
        )
    },
    "/readings": {
        "get": op(
            "我的待阅（unread：未阅，read：已阅，all：全部）",
            {
                "200": json_content(
                    obj(
                        {
                            "items": READINGS,
                            "total": INT,
                            "page": INT,
                            "per_page": INT,
                            "pages": INT,
                        },
                        ("items", "total"),
                    ),
                    "一页待阅",
                ),
                **errors(401, 422),
            },
            parameters=[
                query("state", {"enum": ["unread", "read", "all"]}, "阅读状态"),
                query("unit_id", {"type": "integer", "minimum": 1}, "流程所属单位"),
                query("keyword", TEXT, "标题或文号关键字"),
                query("page", {"type": "integer", "minimum": 1}, "页码"),
                query("per_page", {"type": "integer", "minimum": 1, "maximum": 200}, "每页条数"),
            ],
        )
    },
    "/readings/read": {
        "post": op(
            "批量阅知本人的待阅（已阅的不变；含他人的编号则整批拒绝）",
            {
                "200": json_content(obj({"read": INT, "unread": INT}, ("read",)), "阅知结果"),
                **errors(401, 403, 409, 422),
            },
            requestBody=body(
                obj({"ids": IDS, "comment": {"type": "string", "maxLength": 500}}, ("ids",))
            ),
        )
    },
    "/tasks/{task_id}/urge": {
        "post": op(
            "催办：通知任务的当前办理人（发起人、上一环节办理人、本单位办公室可用；每任务每小时一次）",
            {
                "200": json_content(
                    obj(
                        {"task_id": INT, "notified_user_ids": {"type": "array", "items": INT}},
                        ("notified_user_ids",),
                    ),
                    "已通知的人员",
                ),
                **errors(401, 403, 404, 409, 422),
            },
            parameters=[path_id("task_id", "任务编号")],
            requestBody={
                "required": False,
                "content": {
                    "application/json": {
                        "schema": obj({"message": {"type": "string", "maxLength": 300}})
                    }
                },
            },
        )
    },
}
