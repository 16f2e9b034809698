"""Checks of the editable fields of a 公文 record, each error in Chinese under its field name.

Form data arrives as JSON-ish values (strings for dates, lists of names or of
``{"unit_id", "name"}``); ``clean`` turns them into the column values or reports what is wrong.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from services.db import db
from services.gongwen.models import (
    DISCLOSURE_OPTIONS,
    DOC_TYPES,
    IMPORTANCE_LEVELS,
    SECRECY_LEVELS,
    STATUSES,
    URGENCY_LABELS,
)
from services.org.models import Department, Unit, User

# Words people write for an ordinary document's 密级 and for urgency, mapped to stored values.
_SECRECY_ALIASES = {"公开": "", "内部": "", "无": "", "非密": ""}
_URGENCY_ALIASES = {"平件": "normal", "加急": "urgent", "特急": "very_urgent", "": "normal"}
MAX_COPIES = 100_000


class _Invalid(ValueError):
    """One field's value is wrong; the message is the Chinese text shown next to the field."""


def _text(limit: int, *, required: bool = False, label: str = "") -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if value is None:
            value = ""
        if not isinstance(value, str):
            raise _Invalid("应为文字")
        value = value.strip()
        if required and not value:
            raise _Invalid(f"请填写{label}")
        if len(value) > limit:
            raise _Invalid(f"不能超过 {limit} 个字")
        return value

    return check


def _choice(options: tuple[str, ...], aliases: dict[str, str], message: str) -> Callable[..., str]:
    def check(value: Any) -> str:
        value = (value or "").strip() if isinstance(value, str) or value is None else value
        value = aliases.get(value, value)
        if value not in options:
            raise _Invalid(message)
        return str(value)

    return check


def _optional_text(limit: int) -> Callable[[Any], str | None]:
    def check(value: Any) -> str | None:
        return _text(limit)(value) or None

    return check


def _recipients(value: Any) -> list[dict[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise _Invalid("应为机关列表")
    result: list[dict[str, Any]] = []
    for entry in value:
        item = {"unit_id": None, "name": entry} if isinstance(entry, str) else entry
        if not isinstance(item, dict):
            raise _Invalid("机关格式不正确")
        name = item.get("name")
        unit_id = item.get("unit_id")
        if not isinstance(name, str) or not name.strip():
            raise _Invalid("机关名称不能为空")
        if len(name.strip()) > 100:
            raise _Invalid("机关名称不能超过 100 个字")
        if unit_id is not None and (
            not isinstance(unit_id, int) or db.session.get(Unit, unit_id) is None
        ):
            raise _Invalid(f"机关“{name.strip()}”不在组织机构中")
        if all(r["name"] != name.strip() for r in result):
            result.append({"unit_id": unit_id, "name": name.strip()})
    return result


def _names(value: Any) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _Invalid("应为附件名称列表")
    names = [v.strip() for v in value if v.strip()]
    if any(len(n) > 100 for n in names):
        raise _Invalid("附件名称不能超过 100 个字")
    return names


def _copies(value: Any) -> int:
    if value in (None, ""):
        return 0
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_COPIES:
        raise _Invalid(f"份数应为 0 到 {MAX_COPIES} 之间的整数")
    return value


def _row(model: type, label: str, *, required: bool) -> Callable[[Any], int | None]:
    def check(value: Any) -> int | None:
        if value in (None, ""):
            if required:
                raise _Invalid(f"请选择{label}")
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise _Invalid(f"{label}不存在")
        if db.session.get(model, value) is None:
            raise _Invalid(f"{label}不存在")
        return value

    return check


def _date(value: Any) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        raise _Invalid("应为日期（不含时间）")
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError as exc:
            raise _Invalid("日期格式应为 2025-03-01") from exc
    raise _Invalid("日期格式应为 2025-03-01")


def _moment(value: Any) -> datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError as exc:
            raise _Invalid("时间格式不正确") from exc
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise _Invalid("时间须带时区")
    return value


def _instance(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise _Invalid("流程实例编号应为正整数")
    return value


# Field name -> check returning the stored value.
EDITABLE: dict[str, Callable[[Any], Any]] = {
    "doc_type": _choice(DOC_TYPES, {"命令": "命令（令）", "令": "命令（令）"}, "不支持的文种"),
    "title": _text(200, required=True, label="标题"),
    "main_recipients": _recipients,
    "copy_recipients": _recipients,
    "secrecy": _choice(SECRECY_LEVELS, _SECRECY_ALIASES, "密级应为秘密、机密、绝密或不填"),
    "secrecy_term": _text(20),
    "importance": _choice(IMPORTANCE_LEVELS, {"": "一般"}, "重要程度应为一般或重要"),
    "urgency": _choice(tuple(URGENCY_LABELS), _URGENCY_ALIASES, "紧急程度应为平件、加急或特急"),
    "copies": _copies,
    "drafter_id": _row(User, "拟稿人", required=True),
    "drafting_department_id": _row(Department, "拟稿部门", required=False),
    "signer_id": _row(User, "签发人", required=False),
    "signed_at": _moment,
    "issued_date": _date,
    "attachments_note": _names,
    "note": _text(200),
    "printing_unit": _text(100),
    "printed_date": _date,
    "keywords": _text(200),
    "disclosure": _choice(
        ("", *DISCLOSURE_OPTIONS), {}, "公开属性应为主动公开、依申请公开或不予公开"
    ),
    "doc_number": _optional_text(60),
    "status": _choice(STATUSES, {}, "状态不正确"),
    "instance_id": _instance,
}


def clean(fields: dict[str, Any], errors: dict[str, str]) -> dict[str, Any]:
    """The checked values of ``fields``; problems are added to ``errors`` (field -> message)."""
    values: dict[str, Any] = {}
    for name, raw in fields.items():
        check = EDITABLE.get(name)
        if check is None:
            errors[name] = "该项不能修改"
            continue
        try:
            values[name] = check(raw)
        except _Invalid as exc:
            errors[name] = str(exc)
    return values
