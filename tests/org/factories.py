"""Small factories for a hand-built organisation; other packages' tests import them.

Each creates what it needs and is missing (reference data, a unit, a department) and flushes,
so the returned objects have ids. Nothing is committed.
"""

from __future__ import annotations

import itertools

from services.db import db
from services.org import admin, directory
from services.org.models import Department, Unit, User, UserRole

_serial = itertools.count(1)


def make_unit(
    name: str = "测试局",
    *,
    code: str | None = None,
    kind: str = "department",
    parent: Unit | None = None,
    short_name: str | None = None,
    sort_order: int = 0,
) -> Unit:
    """A unit (单位), added through the directory service; the code defaults to a fresh ``u<n>``."""
    directory.ensure_reference_data()
    parent_id = parent.id if parent is not None else None
    return admin.create_unit(
        code or f"u{next(_serial)}",
        name,
        short_name,
        kind,
        parent_id=parent_id,
        sort_order=sort_order,
    )


def make_department(
    name: str = "综合科", *, unit: Unit | None = None, is_office: bool = False, sort_order: int = 0
) -> Department:
    """A department of ``unit`` (a new unit when omitted)."""
    department = Department(
        unit=unit or make_unit(), name=name, is_office=is_office, sort_order=sort_order
    )
    db.session.add(department)
    db.session.flush()
    return department


def make_user(
    username: str = "u1",
    unit: Unit | None = None,
    department: Department | None = None,
    position: str = "staff",
    name: str = "张三",
    *,
    roles: tuple[str, ...] = (),
    mobile: str | None = None,
    active: bool = True,
) -> User:
    """A user holding ``position`` (a position code). ``roles`` become unscoped grants (they
    count for the user's own unit), without 三员分立 checks: test those through grants."""
    if unit is None:
        unit = department.unit if department is not None else make_unit()
    directory.ensure_reference_data()
    user = User(
        username=username,
        name=name,
        unit=unit,
        department=department,
        position_code=position,
        mobile=mobile,
        active=active,
    )
    db.session.add(user)
    db.session.add_all(UserRole(user=user, role_code=code) for code in roles)
    db.session.flush()
    return user
