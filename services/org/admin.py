"""Maintaining the directory: units, departments, users and leader charges (分管).

Each function validates its input, raises :class:`~services.errors.ValidationFailed` with Chinese
messages per field, adds to the session and flushes (so ids exist) without committing.
Roles are granted elsewhere (``services.org.grants``) because of 三员分立 and auditing.
"""

from __future__ import annotations

import re
from typing import Any, TypeVar

from sqlalchemy import delete, select

from services.db import db
from services.errors import ValidationFailed
from services.org import directory
from services.org.models import UNIT_KINDS, Department, LeaderCharge, Position, Unit, User

USERNAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_.-]{1,63}$")
UNIT_CODE_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
MOBILE_PATTERN = re.compile(r"^1\d{10}$")
RowT = TypeVar("RowT", Unit, Department, User)

# What update_unit / update_user may change; codes and usernames are stable keys.
UNIT_FIELDS = {
    "name",
    "short_name",
    "kind",
    "parent_id",
    "org_code",
    "issuer_code",
    "sort_order",
    "active",
}
USER_FIELDS = {
    "name",
    "unit_id",
    "department_id",
    "position_code",
    "email",
    "mobile",
    "office_phone",
    "sort_order",
    "active",
}


def _fail(field: str, message: str) -> ValidationFailed:
    return ValidationFailed("提交的组织机构信息有误。", errors={field: message})


def _require(value: str | None, field: str, label: str) -> str:
    if value is None or not value.strip():
        raise _fail(field, f"请填写{label}。")
    return value.strip()


def _checked_changes(changes: dict[str, Any], allowed: set[str], name_label: str) -> None:
    """Refuse a field that may not change; a new name must not be blank (stored stripped)."""
    unknown = set(changes) - allowed
    if unknown:
        raise _fail(sorted(unknown)[0], "不能修改该字段。")
    if "name" in changes:
        changes["name"] = _require(changes["name"], "name", name_label)


def _added(row: RowT) -> RowT:
    """Add ``row`` and flush, so it has its id."""
    db.session.add(row)
    db.session.flush()
    return row


# --- units ------------------------------------------------------------------------------------


def create_unit(
    code: str,
    name: str,
    short_name: str | None = None,
    kind: str = "department",
    *,
    parent_id: int | None = None,
    org_code: str | None = None,
    issuer_code: str | None = None,
    sort_order: int = 0,
) -> Unit:
    """Add a unit; ``code`` is a stable lowercase ascii key (also used for demo usernames)."""
    if not UNIT_CODE_PATTERN.match(code or ""):
        raise _fail("code", "单位编码只能使用小写字母、数字、下划线和连字符。")
    if db.session.scalars(select(Unit.id).where(Unit.code == code)).first() is not None:
        raise _fail("code", f"单位编码 {code} 已被使用。")
    unit = Unit(code=code, name=_require(name, "name", "单位名称"), active=True)
    unit.short_name = (short_name or "").strip() or unit.name
    _apply_unit(
        unit,
        kind=kind,
        parent_id=parent_id,
        org_code=org_code,
        issuer_code=issuer_code,
        sort_order=sort_order,
    )
    return _added(unit)


def update_unit(unit_id: int, **changes: Any) -> Unit:
    """Change some fields of a unit (name, short_name, kind, parent_id, codes, order, active)."""
    unit = directory.get_unit(unit_id)
    _checked_changes(changes, UNIT_FIELDS, "单位名称")
    _apply_unit(unit, **changes)
    db.session.flush()
    return unit


def _apply_unit(unit: Unit, **changes: Any) -> None:
    if "kind" in changes and changes["kind"] not in UNIT_KINDS:
        raise _fail("kind", "单位类别无效。")
    if "parent_id" in changes:
        # Assign the relationship, not only the key, so the loaded tree is right at once.
        parent_id = changes.pop("parent_id")
        unit.parent = _checked_parent(unit, parent_id) if parent_id is not None else None
    for key, value in changes.items():
        setattr(unit, key, value)


def _checked_parent(unit: Unit, parent_id: int) -> Unit:
    """The parent must exist and must not be the unit itself or one of its descendants."""
    parent = db.session.get(Unit, parent_id)
    if parent is None:
        raise _fail("parent_id", "上级单位不存在。")
    if unit.id is not None:
        below = {u.id for u in directory.unit_descendants(unit.id)} | {unit.id}
        if parent_id in below:
            raise _fail("parent_id", "上级单位不能是本单位或其下属单位。")
    return parent


# --- departments ------------------------------------------------------------------------------


def create_department(
    unit_id: int, name: str, *, is_office: bool = False, sort_order: int = 0
) -> Department:
    """Add a department (处室/科室) to a unit; names are unique within the unit."""
    directory.get_unit(unit_id)
    name = _require(name, "name", "部门名称")
    _check_department_name(unit_id, name, None)
    return _added(
        Department(unit_id=unit_id, name=name, is_office=is_office, sort_order=sort_order)
    )


def update_department(
    department_id: int,
    *,
    name: str | None = None,
    is_office: bool | None = None,
    sort_order: int | None = None,
) -> Department:
    """Rename a department, mark it as the office, or move it in the unit's order."""
    department = directory.get_department(department_id)
    if name is not None:
        name = _require(name, "name", "部门名称")
        _check_department_name(department.unit_id, name, department.id)
        department.name = name
    if is_office is not None:
        department.is_office = is_office
    if sort_order is not None:
        department.sort_order = sort_order
    db.session.flush()
    return department


def _check_department_name(unit_id: int, name: str, own_id: int | None) -> None:
    stmt = select(Department.id).where(Department.unit_id == unit_id, Department.name == name)
    existing = db.session.scalars(stmt).first()
    if existing is not None and existing != own_id:
        raise _fail("name", f"本单位已有名为“{name}”的部门。")


# --- users ------------------------------------------------------------------------------------


def create_user(
    username: str,
    name: str,
    unit_id: int,
    position_code: str = directory.STAFF,
    *,
    department_id: int | None = None,
    email: str | None = None,
    mobile: str | None = None,
    office_phone: str | None = None,
    sort_order: int = 0,
) -> User:
    """Add a user to the directory (the login account and password are set by services.auth)."""
    username = (username or "").strip().lower()
    if not USERNAME_PATTERN.match(username):
        raise _fail("username", "用户名为 2-64 位小写字母、数字或 _ . -，以字母或数字开头。")
    if directory.get_user_by_username(username) is not None:
        raise _fail("username", f"用户名 {username} 已被使用。")
    user = User(username=username, name=_require(name, "name", "姓名"), active=True)
    _apply_user(
        user,
        unit_id=unit_id,
        department_id=department_id,
        position_code=position_code,
        email=email,
        mobile=mobile,
        office_phone=office_phone,
        sort_order=sort_order,
    )
    return _added(user)


def update_user(user_id: int, **changes: Any) -> User:
    """Change some fields of a user; moving to another unit drops a department of the old one."""
    user = directory.get_user(user_id)
    _checked_changes(changes, USER_FIELDS, "姓名")
    merged = {"unit_id": user.unit_id, "department_id": user.department_id, **changes}
    if changes.get("unit_id", user.unit_id) != user.unit_id and "department_id" not in changes:
        merged["department_id"] = None
    _apply_user(user, **merged)
    db.session.flush()
    return user


def _apply_user(user: User, **values: Any) -> None:
    """Validate everything first, then assign: a refused change leaves the user untouched."""
    unit = directory.get_unit(values.pop("unit_id"))
    department = _checked_department(unit, values.pop("department_id", None))
    position = None
    if "position_code" in values:
        position = db.session.get(Position, values.pop("position_code"))
        if position is None:
            raise _fail("position_code", "职务不存在。")
    mobile = values.get("mobile")
    if mobile and not MOBILE_PATTERN.match(mobile):
        raise _fail("mobile", "手机号码应为 11 位数字。")
    # Relationships, not only keys, so the loaded objects are right at once.
    user.unit, user.department = unit, department
    if position is not None:
        user.position = position
    for key, value in values.items():
        setattr(user, key, value)


def _checked_department(unit: Unit, department_id: int | None) -> Department | None:
    if department_id is None:
        return None
    department = db.session.get(Department, department_id)
    if department is None or department.unit_id != unit.id:
        raise _fail("department_id", "所选部门不属于该单位。")
    return department


# --- leader charges ---------------------------------------------------------------------------


def set_leader_charges(leader_id: int, department_ids: list[int]) -> list[LeaderCharge]:
    """Replace the departments a leader is in charge of (分管); they must be in the leader's
    unit and the leader must hold a leading position."""
    leader = directory.get_user(leader_id)
    if not leader.position.is_leader:
        raise _fail("leader_id", f"{leader.name}不是单位领导，不能设置分管。")
    wanted = list(dict.fromkeys(department_ids))
    for department_id in wanted:
        department = db.session.get(Department, department_id)
        if department is None or department.unit_id != leader.unit_id:
            raise _fail("department_ids", "分管部门必须是该领导所在单位的部门。")
    db.session.execute(delete(LeaderCharge).where(LeaderCharge.leader_id == leader_id))
    charges = [LeaderCharge(leader_id=leader_id, department_id=d) for d in wanted]
    db.session.add_all(charges)
    db.session.flush()
    return charges
