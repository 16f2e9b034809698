"""Reading request bodies and query strings: wrong shapes become 422s with Chinese messages."""

from __future__ import annotations

from typing import Any

from flask import request

from services.errors import ValidationFailed

MAX_TEXT = 1000
# Ids and counts fit a 32-bit column on every backend; larger numbers are refused, not passed
# on (routes use <int(max=2147483647):...> for the same reason).
MAX_INT = 2**31 - 1


def json_body() -> dict[str, Any]:
    """The request's JSON object (an empty body counts as ``{}``)."""
    if not request.get_data(cache=True):
        return {}
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ValidationFailed("请求体应为 JSON 对象", errors={"body": "应为 JSON 对象"})
    return body


def required_text(body: dict[str, Any], name: str) -> str:
    """A non-empty string field."""
    value = body.get(name)
    if not isinstance(value, str) or not value.strip():
        raise ValidationFailed("缺少必填字段", errors={name: "必填，应为非空字符串"})
    return _checked_text(name, value, MAX_TEXT)


def optional_text(body: dict[str, Any], name: str, limit: int = MAX_TEXT) -> str | None:
    """A string field that may be missing or null."""
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValidationFailed("字段格式有误", errors={name: "应为字符串"})
    return _checked_text(name, value, limit)


def _checked_text(name: str, value: str, limit: int) -> str:
    if len(value) > limit:
        raise ValidationFailed("字段过长", errors={name: f"不能超过 {limit} 个字符"})
    # PostgreSQL text cannot hold NUL; refuse it here rather than fail in the database.
    if "\x00" in value:
        raise ValidationFailed("字段含有非法字符", errors={name: "不能包含空字符（NUL）"})
    return value


def optional_object(body: dict[str, Any], name: str) -> dict[str, Any]:
    """A JSON-object field; missing or null gives ``{}``."""
    value = body.get(name)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValidationFailed("字段格式有误", errors={name: "应为 JSON 对象"})
    return value


def optional_int(body: dict[str, Any], name: str) -> int | None:
    """An integer field that may be missing or null (booleans are not integers)."""
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or abs(value) > MAX_INT:
        raise ValidationFailed("字段格式有误", errors={name: f"应为绝对值不超过 {MAX_INT} 的整数"})
    return value


def query_int(name: str, default: int) -> int:
    """An integer query parameter between 0 and ``MAX_INT``."""
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise ValidationFailed("查询参数有误", errors={name: "应为整数"}) from exc
    if not 0 <= value <= MAX_INT:
        raise ValidationFailed("查询参数有误", errors={name: f"应为 0 到 {MAX_INT} 的整数"})
    return value


def query_text(name: str, limit: int = 100) -> str | None:
    """A text query parameter (empty counts as absent)."""
    raw = request.args.get(name)
    return _checked_text(name, raw, limit) if raw else None
