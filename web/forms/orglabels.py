"""Names for the ids an org picker holds: shown on its chips, and proof that the ids exist."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

from services.db import db
from services.org.models import Department, Unit, User


def labels(kind: str, ids: Iterable[str]) -> dict[str, str]:
    """{id as string: display name} for the active users/units/departments among ``ids``."""
    wanted = {int(i) for i in ids if str(i).isdigit()}
    if not wanted:
        return {}
    return {str(key): label for key, label in _LOOKUPS[kind](wanted).items()}


def _users(ids: set[int]) -> dict[int, str]:
    users = db.session.scalars(select(User).where(User.id.in_(ids), User.active.is_(True)))
    return {u.id: f"{u.name}（{u.unit.short_name} · {u.position.name}）" for u in users}


def _units(ids: set[int]) -> dict[int, str]:
    units = db.session.scalars(select(Unit).where(Unit.id.in_(ids), Unit.active.is_(True)))
    return {u.id: u.name for u in units}


def _departments(ids: set[int]) -> dict[int, str]:
    departments = db.session.scalars(select(Department).where(Department.id.in_(ids)))
    return {d.id: f"{d.unit.short_name} · {d.name}" for d in departments}


_LOOKUPS = {"user": _users, "unit": _units, "department": _departments}
