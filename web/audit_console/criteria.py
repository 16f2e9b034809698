"""The console's filter forms (query strings) turned into search criteria, with Chinese errors."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from flask import request

from engine import api
from services.audit import log as audit
from services.errors import ValidationFailed
from services.org.directory import get_user_by_username
from web.audit_console.kinds import GROUP_KINDS
from web.filters import BEIJING


def day(field: str, *, end: bool = False) -> datetime | None:
    """A yyyy-mm-dd form value as the instant its Beijing day starts (or, ``end``, ends)."""
    raw = request.args.get(field, "").strip()
    if not raw:
        return None
    try:
        value = date.fromisoformat(raw)
    except ValueError as exc:
        raise ValidationFailed("日期格式应为 年-月-日", errors={field: "日期格式不正确"}) from exc
    start = datetime.combine(value, time(0), tzinfo=BEIJING)
    return start + timedelta(days=1) if end else start


def log_criteria() -> audit.AuditFilter:
    """The platform audit log's filters."""
    args = request.args
    return audit.AuditFilter(
        username=args.get("username", "").strip(),
        action=args.get("action", "").strip(),
        result=args.get("result", "").strip(),
        object_text=args.get("object", "").strip(),
        since=day("since"),
        until=day("until", end=True),
    )


def event_filters() -> api.EventFilters:
    """The process events search's filters (流程审计)."""
    args = request.args
    return api.EventFilters(
        actor_id=_actor_id(args.get("username", "").strip()),
        process_key=args.get("process", "").strip(),
        instance_id=instance_id_arg("instance"),
        business_key=args.get("business_key", "").strip(),
        kinds=_kinds(args.get("kind", "").strip()),
        since=day("since"),
        until=day("until", end=True),
    )


def _actor_id(username: str) -> int | None:
    if not username:
        return None
    user = get_user_by_username(username)
    if user is None:
        raise ValidationFailed(f"没有用户名为“{username}”的用户", errors={"username": "用户不存在"})
    return int(user.id)


def instance_id_arg(field: str, *, required: bool = False) -> int | None:
    """An instance number from the query string (``None`` when empty and not ``required``)."""
    raw = request.args.get(field, "").strip()
    if not raw and not required:
        return None
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 12):
        raise ValidationFailed("实例编号应为数字", errors={field: "实例编号应为数字"})
    return int(raw)


def _kinds(group: str) -> tuple[str, ...]:
    if not group:
        return ()
    if group not in GROUP_KINDS:
        raise ValidationFailed("事件类型无效", errors={"kind": "请从列表中选择事件类型"})
    return GROUP_KINDS[group]


def active_filters() -> dict[str, str]:
    """The non-empty query values, as recorded with an export."""
    return {key: value for key, value in request.args.items() if value and key != "page"}
