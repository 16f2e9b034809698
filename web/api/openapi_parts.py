"""Building blocks of the OpenAPI document: responses, bodies, parameters, operations."""

from __future__ import annotations

from typing import Any

from web.api.openapi_schemas import obj, ref

JSON = "application/json"
ERROR_TEXT = {
    401: "未认证：缺少令牌、令牌无效、过期或已吊销",
    403: "无权执行（或对象不存在，二者不作区分）",
    404: "对象不存在",
    409: "冲突：任务已被他人处理或数据已变",
    422: "请求数据未通过校验",
}


def json_content(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {JSON: {"schema": schema}}}


def errors(*codes: int) -> dict[str, Any]:
    return {str(code): json_content(ref("Error"), ERROR_TEXT[code]) for code in codes}


def body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"required": True, "content": {JSON: {"schema": schema}}}


def replies(
    schema: dict[str, Any], description: str, *error_codes: int, status: int = 200
) -> dict[str, Any]:
    """The responses of an operation: ``status`` answering ``schema``, then the usual errors."""
    return {str(status): json_content(schema, description), **errors(*error_codes)}


def json_body(properties: dict[str, Any], required: tuple[str, ...] = ()) -> dict[str, Any]:
    """A required JSON request body: an object with ``properties``."""
    return body(obj(properties, required))


def op(summary: str, responses: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"summary": summary, "responses": responses, **extra}


def path_id(name: str, description: str) -> dict[str, Any]:
    schema = {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": description,
        "schema": schema,
    }


def query(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema,
    }
