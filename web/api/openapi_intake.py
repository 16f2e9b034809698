"""OpenAPI paths of the external intake API: packages pushed by systems outside the platform,
and the status query that tells a sender what became of one of its packages."""

from __future__ import annotations

from typing import Any

from web.api.openapi_parts import errors, json_content, op
from web.api.openapi_schemas import NULLABLE_TEXT, STAMP, TEXT, obj, ref

BINARY = {"type": "string", "format": "binary"}
RECEIPT = obj(
    {
        "id": {"type": "integer"},
        "record_id": {"type": "integer"},
        "recipient_unit": TEXT,
        "doc_number": TEXT,
        "status": TEXT,
        "received_at": {"type": "string", "format": "date-time"},
        "duplicate": {"type": "boolean"},
    },
    ("id", "record_id", "recipient_unit", "doc_number", "status", "duplicate"),
)

ACTOR = obj(
    {"unit": TEXT, "role": TEXT, "name": TEXT},
    ("unit", "role", "name"),
)


def _step(extra: dict[str, Any]) -> dict[str, Any]:
    schema = obj({"at": STAMP, "by": ACTOR, **extra}, ("at", "by", *extra))
    return {"oneOf": [schema, {"type": "null"}]}


PACKAGE_STATUS = obj(
    {
        "id": {"type": "integer"},
        "record_id": {"type": "integer"},
        "doc_number": TEXT,
        "recipient_unit": TEXT,
        "recipient_unit_name": TEXT,
        "status": {"type": "string", "enum": ["已送达", "已签收", "已退文", "已办结"]},
        "received_at": STAMP,
        "receipt_number": NULLABLE_TEXT,
        "signed": _step({}),
        "returned": _step({"reason": TEXT}),
        "finished": _step({"reply": TEXT}),
    },
    ("id", "record_id", "doc_number", "status", "signed", "returned", "finished"),
)


def _header(name: str, description: str) -> dict[str, Any]:
    schema = {"type": "string", "maxLength": 200}
    return {
        "name": name,
        "in": "header",
        "required": True,
        "description": description,
        "schema": schema,
    }


def _signed_headers(signed: str) -> list[dict[str, Any]]:
    return [
        _header("X-OA-Sender", "发送方代码（OA_INTAKE_SENDERS 中登记）"),
        _header("X-OA-Timestamp", "Unix 时间戳（秒），与服务器时间相差不超过 5 分钟"),
        _header(
            "X-OA-Signature",
            f"HMAC-SHA256（共享密钥，“发送方\\n时间戳\\n”+ {signed}）的十六进制",
        ),
    ]


INTAKE_PATHS: dict[str, Any] = {
    "/intake/packages/{reference}": {
        "get": op(
            "外部发送方查询本方报送的数据包：已送达/已签收/已退文/已办结，何时、由谁，退文理由、答复",
            {
                "200": json_content(PACKAGE_STATUS, "数据包的当前状态"),
                "404": json_content(ref("Error"), "没有该数据包，或不是本发送方报送的"),
                **errors(401, 403),
            },
            parameters=[
                {
                    "name": "reference",
                    "in": "path",
                    "required": True,
                    "description": "回执编号（报送时回执中的 id）或来文文号",
                    "schema": {"type": "string", "minLength": 1, "maxLength": 60},
                },
                *_signed_headers("路径中的回执编号或来文文号（UTF-8）"),
            ],
            security=[],
        )
    },
    "/intake/packages": {
        "post": op(
            "外部系统报送公文数据包（发送方签名 + IP 白名单），校验后登入收文单位的收文箱",
            {
                "201": json_content(RECEIPT, "已登入收文箱的回执"),
                "200": json_content(
                    RECEIPT, "同一发送方、同一来文文号、同一正文再次报送：返回原回执"
                ),
                "413": json_content(ref("Error"), "文件或整个数据包超过大小限制"),
                **errors(401, 403, 409, 422),
            },
            parameters=_signed_headers("请求体原文"),
            requestBody={
                "required": True,
                "content": {
                    "multipart/form-data": {
                        "schema": obj(
                            {
                                "metadata": {"type": "string", "description": "公文要素 JSON"},
                                "body": BINARY,
                                "attachments": {"type": "array", "items": BINARY},
                            },
                            required=("metadata", "body"),
                        )
                    }
                },
            },
            security=[],
        )
    },
}
