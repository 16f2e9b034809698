"""Tables of the organisation directory.

A unit (单位) is a node of the city's tree: the four leading bodies (市委/市人大/市政府/市政协),
city departments under them, towns and districts. Departments (处室/科室) belong to one unit.
Each user belongs to one unit and at most one department and holds one position (职务).
Roles (角色) are permissions, optionally scoped to a unit.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from services import clock
from services.db import UTCDateTime, db

# Kinds of unit, used to group the tree in pickers and reports.
UNIT_KINDS = {
    "leading": "四大家",
    "department": "市直部门",
    "town": "镇（办、区）",
}


class Unit(db.Model):  # type: ignore[name-defined]
    __tablename__ = "org_unit"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    short_name: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(20))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id"), index=True)
    # 机构代码 used in archive 档号 and 机关代字 for document numbers.
    org_code: Mapped[str | None] = mapped_column(String(20))
    issuer_code: Mapped[str | None] = mapped_column(String(20))
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    parent: Mapped[Unit | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Unit]] = relationship(back_populates="parent", order_by="Unit.sort_order")
    departments: Mapped[list[Department]] = relationship(
        back_populates="unit", order_by="Department.sort_order"
    )


class Department(db.Model):  # type: ignore[name-defined]
    __tablename__ = "org_department"
    __table_args__ = (UniqueConstraint("unit_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    # True for the unit's general office (办公室), which handles documents for the unit.
    is_office: Mapped[bool] = mapped_column(Boolean, default=False)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)

    unit: Mapped[Unit] = relationship(back_populates="departments")


class Position(db.Model):  # type: ignore[name-defined]
    """职务: what a user is in their unit, which decides who signs and who supervises."""

    __tablename__ = "org_position"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(40))
    rank: Mapped[int] = mapped_column(Integer)  # lower is more senior
    is_leader: Mapped[bool] = mapped_column(Boolean, default=False)
    # Data scope of the position for supervision views: self, department, unit, all.
    data_scope: Mapped[str] = mapped_column(String(20), default="self")


class User(db.Model):  # type: ignore[name-defined]
    __tablename__ = "org_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(40))
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), index=True)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("org_department.id"), index=True)
    position_code: Mapped[str] = mapped_column(ForeignKey("org_position.code"))
    email: Mapped[str | None] = mapped_column(String(120))
    mobile: Mapped[str | None] = mapped_column(String(20))
    office_phone: Mapped[str | None] = mapped_column(String(40))
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    unit: Mapped[Unit] = relationship()
    department: Mapped[Department | None] = relationship()
    position: Mapped[Position] = relationship()
    roles: Mapped[list[UserRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )


class Role(db.Model):  # type: ignore[name-defined]
    """A permission set. ``exclusive_group`` marks roles of which one user may hold at most one
    (三员分立: system, security and audit administrators)."""

    __tablename__ = "org_role"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(40))
    exclusive_group: Mapped[str | None] = mapped_column(String(20))
    description: Mapped[str | None] = mapped_column(String(200))


class UserRole(db.Model):  # type: ignore[name-defined]
    """A role held by a user, optionally only within one unit (e.g. 收发员 of 市教育局)."""

    __tablename__ = "org_user_role"
    __table_args__ = (UniqueConstraint("user_id", "role_code", "unit_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("org_user.id"), index=True)
    role_code: Mapped[str] = mapped_column(ForeignKey("org_role.code"), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id"))

    user: Mapped[User] = relationship(back_populates="roles")
    role: Mapped[Role] = relationship()
    unit: Mapped[Unit | None] = relationship()


class LeaderCharge(db.Model):  # type: ignore[name-defined]
    """分管: a deputy leader supervises some departments of the unit."""

    __tablename__ = "org_leader_charge"
    __table_args__ = (UniqueConstraint("leader_id", "department_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    leader_id: Mapped[int] = mapped_column(ForeignKey("org_user.id"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("org_department.id"), index=True)

    leader: Mapped[User] = relationship()
    department: Mapped[Department] = relationship()
