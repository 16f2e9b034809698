"""OpenAPI path of the external intake API (packages pushed by systems outside the platform)."""

from __future__ import annotations

from typing import Any

from web.api.openapi_parts import errors, json_content, op
from web.api.openapi_schemas import TEXT, obj, ref

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


def _header(name: str, description: str) -> dict[str, Any]:
    schema = {"type": "string", "maxLength": 200}
    return {
        "name": name,
        "in": "header",
        "required": True,
        "description": description,
        "schema": schema,
    }


INTAKE_PATHS: dict[str, Any] = {
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
            parameters=[
                _header("X-OA-Sender", "发送方代码（OA_INTAKE_SENDERS 中登记）"),
                _header("X-OA-Timestamp", "Unix 时间戳（秒），与服务器时间相差不超过 5 分钟"),
                _header(
                    "X-OA-Signature",
                    "HMAC-SHA256（共享密钥，“发送方\\n时间戳\\n”+ 请求体原文）的十六进制",
                ),
            ],
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
    }
}
