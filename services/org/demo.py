"""Demo data (demo only, never for production): the fictional city of 江城市.

82 units (the four leading bodies, 53 city departments, 25 towns, 街道 and the development
zone), each with an office and 2-4 departments, a 主要负责人, 1-3 分管领导 in charge of the
departments, an 办公室主任, a 收发员 (a 科员 of the office holding the REGISTRAR role for the unit)
and a 部门负责人 per department; departments of larger units also get a 科员. Names come from a
seeded generator: every run produces the same people.

Usernames are ``<unit code>_<NNN>``: NNN numbers a unit's people in directory order (001 the
主要负责人, then the 分管领导, the 办公室主任, the 收发员, then each department's head and clerk),
e.g. ``jyj_002`` is the first 分管领导 of 市教育局. The documented logins (``DEMO_LOGINS``) take
the place of some of those in 市教育局 and add the administrators in 市政府办公室.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import NamedTuple

from sqlalchemy import func, select

from services.auth import accounts
from services.db import db
from services.errors import Conflict
from services.org import directory, grants
from services.org.demo_data.names import GIVEN, SURNAMES
from services.org.demo_data.units import UNITS, UnitSpec
from services.org.models import Department, LeaderCharge, Unit, User, UserRole
from services.org.roles import ANALYST, AUDITOR, REGISTRAR, SECADMIN, SYSADMIN

NAME_SEED = 20250303
EMAIL_DOMAIN = "jiangcheng.example"  # a reserved domain: demo mail never leaves the machine


class DemoLogin(NamedTuple):
    """A documented login of the demo, as listed by ``oa demo-data`` and in the README."""

    username: str
    name: str
    unit: str
    position: str
    note: str


@dataclass
class DemoSummary:
    """What ``load_demo`` created."""

    units: int
    departments: int
    users: int
    logins: list[DemoLogin] = field(default_factory=list)


# Documented logins that replace generated slots of 市教育局: username -> (slot, 说明).
SHOWCASE_UNIT = "jyj"
SHOWCASE_SLOTS = {
    "clerk": ("clerk", "科员（基础教育科）：拟稿、承办"),
    "depthead": ("dept_head0", "部门负责人（基础教育科）：审核科室拟稿"),
    "officedir": ("office_director", "办公室主任：核稿、公文把关"),
    "leader": ("deputy0", "分管领导：分管办公室、基础教育科和人事科"),
    "chief": ("principal", "主要负责人：签发本单位公文"),
    "registrar": ("registrar", "收发员：收文签收、登记、分发"),
}
# Administrators in 市政府办公室 电子政务科, one role each (三员分立).
ADMIN_UNIT, ADMIN_DEPARTMENT = "zf", "电子政务科"
ADMIN_LOGINS = {
    "sysadmin": (SYSADMIN, "系统管理员：用户、组织与流程部署"),
    "secadmin": (SECADMIN, "安全管理员：授权、解锁、重置密码"),
    "auditor": (AUDITOR, "审计管理员：查阅与核验审计日志"),
    "analyst": (ANALYST, "流程设计员：设计与提交流程"),
}


def org_is_empty() -> bool:
    """True when the directory has no unit and no user yet (the demo may be loaded)."""
    units = db.session.scalar(select(func.count()).select_from(Unit))
    users = db.session.scalar(select(func.count()).select_from(User))
    return not units and not users


def load_demo(password: str) -> DemoSummary:
    """Create the demo city with ``password`` for every demo user; refuses a non-empty directory.

    The password is checked against the policy once; all demo users share its hash.
    """
    if not org_is_empty():
        raise Conflict("组织机构中已有数据，不能载入演示数据。")
    directory.ensure_reference_data()
    # Seeded, not secret: the same names every run.
    builder = _CityBuilder(random.Random(NAME_SEED))  # noqa: S311
    builder.build()
    db.session.flush()
    logins = [(username, note) for username, (_slot, note) in SHOWCASE_SLOTS.items()]
    logins += [(username, note) for username, (_role, note) in ADMIN_LOGINS.items()]
    _set_passwords(builder.users, builder.users_by_name[logins[0][0]], password)
    return DemoSummary(
        units=len(builder.units),
        departments=builder.department_count,
        users=len(builder.users),
        logins=[_describe(builder.users_by_name[username], note) for username, note in logins],
    )


class _CityBuilder:
    """Creates units, departments, people and charges; remembers what it made."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.units: dict[str, Unit] = {}
        self.users: list[User] = []
        self.users_by_name: dict[str, User] = {}
        self.department_count = 0
        self._taken_names: set[str] = set()

    def build(self) -> None:
        for index, spec in enumerate(UNITS, start=1):
            unit = self._unit(spec, index)
            self._staff(unit, spec, index)
        self._admins()

    def _unit(self, spec: UnitSpec, index: int) -> Unit:
        unit = Unit(
            code=spec.code,
            name=spec.name,
            short_name=spec.short_name,
            kind=spec.kind,
            parent=self.units[spec.parent] if spec.parent else None,
            org_code=f"{index:03d}",
            issuer_code=spec.issuer_code,
            sort_order=index,
            active=True,
        )
        db.session.add(unit)
        self.units[spec.code] = unit
        return unit

    def _departments(self, unit: Unit, spec: UnitSpec) -> list[Department]:
        names = (spec.office_name, *spec.departments)
        made = [
            Department(unit=unit, name=name, is_office=(i == 0), sort_order=i + 1)
            for i, name in enumerate(names)
        ]
        db.session.add_all(made)
        self.department_count += len(made)
        return made

    def _staff(self, unit: Unit, spec: UnitSpec, index: int) -> None:
        office, *others = self._departments(unit, spec)
        person = _PersonFactory(self, unit, index)
        person.add("principal", directory.PRINCIPAL, None)
        deputies = [person.add(f"deputy{i}", directory.DEPUTY, None) for i in range(spec.deputies)]
        person.add("office_director", directory.OFFICE_DIRECTOR, office)
        registrar = person.add("registrar", directory.STAFF, office)
        # Bulk demo data: a plain row instead of grants.grant_role, which audits every grant.
        db.session.add(UserRole(user=registrar, role_code=REGISTRAR, unit=unit))
        for i, department in enumerate(others):
            person.add(f"dept_head{i}", directory.DEPT_HEAD, department)
            if i == 0 and len(others) >= 3:
                person.add("clerk", directory.STAFF, department)
        self._charges(deputies, [office, *others])

    def _charges(self, deputies: list[User], departments: list[Department]) -> None:
        """Share the departments among the deputies; the office goes to the first one."""
        office, *others = departments
        charges = [LeaderCharge(leader=deputies[0], department=office)]
        for i, department in enumerate(others):
            charges.append(LeaderCharge(leader=deputies[i % len(deputies)], department=department))
        db.session.add_all(charges)

    def _admins(self) -> None:
        unit = self.units[ADMIN_UNIT]
        department = next(d for d in unit.departments if d.name == ADMIN_DEPARTMENT)
        person = _PersonFactory(self, unit, list(self.units).index(ADMIN_UNIT) + 1)
        person.seq = 900  # after the generated people of the unit
        for username, (role_code, _note) in ADMIN_LOGINS.items():
            user = person.add(username, directory.STAFF, department, username=username)
            db.session.flush()  # the grant is audited with the user's id
            grants.grant_role(user, role_code)

    def unique_name(self) -> str:
        while True:
            given = "".join(self.rng.choice(GIVEN) for _ in range(self.rng.choice((1, 2, 2))))
            name = self.rng.choice(SURNAMES) + given
            if name not in self._taken_names:
                self._taken_names.add(name)
                return name


class _PersonFactory:
    """Numbers and creates the people of one unit."""

    def __init__(self, city: _CityBuilder, unit: Unit, unit_index: int) -> None:
        self.city, self.unit, self.unit_index, self.seq = city, unit, unit_index, 0

    def add(
        self, slot: str, position: str, department: Department | None, username: str | None = None
    ) -> User:
        self.seq += 1
        username = username or self._documented(slot) or f"{self.unit.code}_{self.seq:03d}"
        user = User(
            username=username,
            name=self.city.unique_name(),
            unit=self.unit,
            department=department,
            position_code=position,
            email=f"{username}@{EMAIL_DOMAIN}",
            mobile=f"139{self.unit_index:04d}{self.seq:04d}",
            office_phone=f"8{self.unit_index:03d}{self.seq:04d}",
            sort_order=self.seq,
            active=True,
        )
        db.session.add(user)
        self.city.users.append(user)
        self.city.users_by_name[username] = user
        return user

    def _documented(self, slot: str) -> str | None:
        if self.unit.code != SHOWCASE_UNIT:
            return None
        return next((u for u, (s, _note) in SHOWCASE_SLOTS.items() if s == slot), None)


def _set_passwords(users: list[User], first: User, password: str) -> None:
    """Hash once (argon2 is deliberately slow), then give every demo user the same hash."""
    accounts.set_password(first, password, must_change=False)
    account = accounts.account_of(first)
    assert account is not None  # just stored above
    for user in users:
        if user is not first:
            accounts.set_password_hash(user, account.password_hash, must_change=False)


def _describe(user: User, note: str) -> DemoLogin:
    roles = "、".join(r.role.name for r in user.roles)
    position = roles or user.position.name
    place = user.unit.short_name + (f"·{user.department.name}" if user.department else "")
    return DemoLogin(user.username, user.name, place, position, note)
