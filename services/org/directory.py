"""Who is who: the queries the workflow engine and the pages use to find people.

Lookups by id raise :class:`~services.errors.NotFound` for unknown ids. Lookups of *the* holder of
a position (``principal_leader``, ``department_head`` ...) return ``None`` when the post is vacant,
so the caller decides whether a vacancy is an error (an assignment) or not (a page).

The position codes below are the contract with BPMN assignee expressions; ``ensure_reference_data``
seeds them together with the built-in roles.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, Select, and_, or_, select

from services.db import db
from services.errors import NotFound
from services.org.models import (
    UNIT_KINDS,
    Department,
    LeaderCharge,
    Position,
    Role,
    Unit,
    User,
    UserRole,
)
from services.org.roles import BUILTIN_ROLES

PRINCIPAL = "principal"
DEPUTY = "deputy"
OFFICE_DIRECTOR = "office_director"
DEPT_HEAD = "dept_head"
DEPUTY_HEAD = "deputy_head"
STAFF = "staff"

SEARCH_PAGE_LIMIT = 50


@dataclass(frozen=True)
class PositionDef:
    code: str
    name: str
    rank: int
    is_leader: bool
    data_scope: str


BUILTIN_POSITIONS = (
    PositionDef(PRINCIPAL, "主要负责人", 1, True, "unit"),
    PositionDef(DEPUTY, "分管领导", 2, True, "unit"),
    PositionDef(OFFICE_DIRECTOR, "办公室主任", 3, False, "unit"),
    PositionDef(DEPT_HEAD, "部门负责人", 4, False, "department"),
    PositionDef(DEPUTY_HEAD, "副职", 5, False, "department"),
    PositionDef(STAFF, "科员", 9, False, "self"),
)


@dataclass
class UnitNode:
    """One unit of the tree with its children, already ordered."""

    unit: Unit
    children: list[UnitNode] = field(default_factory=list)


@dataclass
class UnitSection:
    """Units of one group that share a parent outside the group (e.g. 市政府工作部门)."""

    title: str
    nodes: list[UnitNode]
    parent_id: int | None = None


@dataclass
class UnitGroup:
    """The tree seen by kind of unit: 四大家, 市直部门, 镇（办、区）."""

    kind: str
    label: str
    sections: list[UnitSection]


@dataclass
class DepartmentRoster:
    """Users of one department; ``department`` is None for the unit's leaders."""

    title: str
    department: Department | None
    users: list[User]


def ensure_reference_data() -> None:
    """Insert the built-in positions and roles that are missing; existing rows are kept."""
    for p in BUILTIN_POSITIONS:
        if db.session.get(Position, p.code) is None:
            db.session.add(Position(**dataclasses.asdict(p)))
    for r in BUILTIN_ROLES:
        if db.session.get(Role, r.code) is None:
            db.session.add(Role(**dataclasses.asdict(r)))
    db.session.flush()


# --- single objects ---------------------------------------------------------------------------


def get_user(user_id: int) -> User:
    """The user with ``user_id``."""
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound(f"用户不存在（编号 {user_id}）。")
    return user


def get_user_by_username(username: str) -> User | None:
    """The user with this login name, or None: login must not tell which names exist."""
    return db.session.scalars(select(User).where(User.username == username)).one_or_none()


def get_unit(unit_id: int) -> Unit:
    """The unit with ``unit_id``."""
    unit = db.session.get(Unit, unit_id)
    if unit is None:
        raise NotFound(f"单位不存在（编号 {unit_id}）。")
    return unit


def get_department(department_id: int) -> Department:
    """The department with ``department_id``."""
    department = db.session.get(Department, department_id)
    if department is None:
        raise NotFound(f"部门不存在（编号 {department_id}）。")
    return department


def user_unit(user_id: int) -> Unit:
    """The unit a user belongs to."""
    return get_user(user_id).unit


def unit_ancestors(unit_id: int) -> list[Unit]:
    """The units above ``unit_id``, the top one first (not the unit itself)."""
    unit = get_unit(unit_id)
    chain: list[Unit] = []
    while unit.parent is not None and unit.parent not in chain:
        unit = unit.parent
        chain.append(unit)
    return chain[::-1]


def visible_mobile(user: User, viewer: User) -> str | None:
    """The mobile number as ``viewer`` may see it: whole within the same unit, otherwise with
    the middle four digits hidden (personal data of another unit's staff)."""
    if not user.mobile or viewer.unit_id == user.unit_id:
        return user.mobile
    if len(user.mobile) != 11:
        return "*" * len(user.mobile)  # not a mainland mobile number: hide it all
    return f"{user.mobile[:3]}****{user.mobile[7:]}"


# --- who holds which post ---------------------------------------------------------------------


def _active_users() -> Select[tuple[User]]:
    """Active users, most senior first, then in the directory's own order."""
    return (
        select(User)
        .join(Position, User.position_code == Position.code)
        .where(User.active.is_(True))
        .order_by(Position.rank, User.sort_order, User.id)
    )


def _holders(*criteria: ColumnElement[bool]) -> list[User]:
    return list(db.session.scalars(_active_users().where(*criteria)))


def unit_leaders(unit_id: int) -> list[User]:
    """主要负责人 and 分管领导 of a unit, the principal first."""
    get_unit(unit_id)
    return _holders(User.unit_id == unit_id, Position.is_leader.is_(True))


def principal_leader(unit_id: int) -> User | None:
    """The unit's 主要负责人, or None when the post is vacant."""
    get_unit(unit_id)
    found = _holders(User.unit_id == unit_id, User.position_code == PRINCIPAL)
    return found[0] if found else None


def supervising_leader(department_id: int) -> User | None:
    """The 分管领导 in charge of a department (the most senior if several), or None."""
    get_department(department_id)
    charged = select(LeaderCharge.leader_id).where(LeaderCharge.department_id == department_id)
    found = _holders(User.id.in_(charged))
    return found[0] if found else None


def leader_charges(leader_id: int) -> list[Department]:
    """The departments a leader is in charge of (分管), in the unit's order."""
    get_user(leader_id)
    stmt = (
        select(Department)
        .join(LeaderCharge, LeaderCharge.department_id == Department.id)
        .where(LeaderCharge.leader_id == leader_id)
        .order_by(Department.sort_order, Department.id)
    )
    return list(db.session.scalars(stmt))


def department_head(department_id: int) -> User | None:
    """The department's 部门负责人, or None when the post is vacant."""
    get_department(department_id)
    found = _holders(User.department_id == department_id, User.position_code == DEPT_HEAD)
    return found[0] if found else None


def office_director(unit_id: int) -> User | None:
    """The unit's 办公室主任, or None when the post is vacant."""
    get_unit(unit_id)
    found = _holders(User.unit_id == unit_id, User.position_code == OFFICE_DIRECTOR)
    return found[0] if found else None


def office_staff(unit_id: int) -> list[User]:
    """Everyone working in the unit's 办公室 (the departments marked ``is_office``)."""
    get_unit(unit_id)
    offices = select(Department.id).where(
        Department.unit_id == unit_id, Department.is_office.is_(True)
    )
    return _holders(User.department_id.in_(offices))


def role_members(role_code: str, unit_id: int | None = None) -> list[User]:
    """Holders of a role; with ``unit_id``, those holding it for that unit.

    A grant scoped to a unit counts for that unit only; an unscoped grant counts for the unit
    the holder belongs to.
    """
    if db.session.get(Role, role_code) is None:
        raise NotFound(f"角色不存在：{role_code}。")
    grants = select(UserRole.user_id).where(UserRole.role_code == role_code)
    if unit_id is not None:
        get_unit(unit_id)
        grants = grants.join(User, User.id == UserRole.user_id).where(
            or_(
                UserRole.unit_id == unit_id,
                and_(UserRole.unit_id.is_(None), User.unit_id == unit_id),
            )
        )
    return _holders(User.id.in_(grants))


# --- the tree ---------------------------------------------------------------------------------


def _all_units() -> Sequence[Unit]:
    stmt = select(Unit).where(Unit.active.is_(True)).order_by(Unit.sort_order, Unit.id)
    return db.session.scalars(stmt).all()


def _build_nodes(units: Iterable[Unit]) -> tuple[list[UnitNode], dict[int, UnitNode]]:
    nodes = {u.id: UnitNode(u) for u in units}
    roots: list[UnitNode] = []
    for node in nodes.values():
        parent = nodes.get(node.unit.parent_id) if node.unit.parent_id else None
        (parent.children if parent else roots).append(node)
    return roots, nodes


def units_tree() -> list[UnitNode]:
    """All active units as a forest, ordered by ``sort_order`` at every level."""
    roots, _ = _build_nodes(_all_units())
    return roots


def unit_descendants(unit_id: int) -> list[Unit]:
    """Every unit below ``unit_id`` (not itself), depth first; for 本单位及下属 data scopes."""
    get_unit(unit_id)
    # 82 units: walking them in Python is simpler than a recursive CTE on two databases.
    _, nodes = _build_nodes(_all_units())
    start = nodes.get(unit_id)
    found: list[Unit] = []
    stack = list(reversed(start.children)) if start else []
    while stack:
        node = stack.pop()
        found.append(node.unit)
        stack.extend(reversed(node.children))
    return found


def unit_groups() -> list[UnitGroup]:
    """The tree regrouped by kind; a unit whose parent is of another kind starts a section
    titled after that parent (e.g. the 市直部门 under 市人民政府)."""
    units = _all_units()
    _, nodes = _build_nodes(units)
    return [_group(kind, label, units, nodes) for kind, label in UNIT_KINDS.items()]


def _group(kind: str, label: str, units: Sequence[Unit], nodes: dict[int, UnitNode]) -> UnitGroup:
    sections: dict[int | None, UnitSection] = {}
    for unit in units:
        parent = nodes[unit.parent_id].unit if unit.parent_id in nodes else None
        if unit.kind != kind or (parent is not None and parent.kind == kind):
            continue  # another group's, or shown inside its parent
        key = parent.id if parent is not None else None
        if key not in sections:
            title = f"{parent.short_name}所属" if parent is not None else ""
            sections[key] = UnitSection(title, [], key)
        sections[key].nodes.append(_same_kind_subtree(nodes[unit.id]))
    return UnitGroup(kind, label, list(sections.values()))


def _same_kind_subtree(node: UnitNode) -> UnitNode:
    kind = node.unit.kind
    children = [_same_kind_subtree(c) for c in node.children if c.unit.kind == kind]
    return UnitNode(node.unit, children)


def departments_of(unit_id: int) -> list[Department]:
    """The departments of a unit, the office first when it is sorted first."""
    get_unit(unit_id)
    stmt = (
        select(Department)
        .where(Department.unit_id == unit_id)
        .order_by(Department.sort_order, Department.id)
    )
    return list(db.session.scalars(stmt))


def unit_roster(unit_id: int) -> list[DepartmentRoster]:
    """The unit's people for the 通讯录: its leaders, each department with its members, then
    anyone else without a department."""
    get_unit(unit_id)
    users = _holders(User.unit_id == unit_id)
    leaders = [u for u in users if u.department_id is None and u.position.is_leader]
    roster = [DepartmentRoster("单位领导", None, leaders)] if leaders else []
    for department in departments_of(unit_id):
        members = [u for u in users if u.department_id == department.id]
        roster.append(DepartmentRoster(department.name, department, members))
    others = [u for u in users if u.department_id is None and not u.position.is_leader]
    if others:
        roster.append(DepartmentRoster("其他人员", None, others))
    return roster


@dataclass
class DirectoryPage:
    """What the 通讯录 page shows: the grouped tree, the selected unit and its people, or the
    results of a search."""

    groups: list[UnitGroup]
    unit: Unit
    open_unit_ids: set[int]
    roster: list[DepartmentRoster]
    query: str
    results: list[User]


def browse(viewer: User, unit_id: int | None = None, q: str = "") -> DirectoryPage:
    """The 通讯录 for ``viewer``: the selected unit (the viewer's own by default), with the
    branch of the tree leading to it open, and the users matching ``q`` when given."""
    unit = get_unit(unit_id) if unit_id is not None else viewer.unit
    query = q.strip()
    results = search_users(query, limit=SEARCH_PAGE_LIMIT) if query else []
    open_ids = {unit.id, *(u.id for u in unit_ancestors(unit.id))}
    return DirectoryPage(unit_groups(), unit, open_ids, unit_roster(unit.id), query, results)


# --- search -----------------------------------------------------------------------------------


def search_users(q: str, unit_id: int | None = None, limit: int = 20) -> list[User]:
    """Active users whose name or login name contains ``q``, optionally within one unit."""
    q = q.strip()
    stmt = _active_users()
    if q:
        stmt = stmt.where(
            or_(User.name.contains(q, autoescape=True), User.username.icontains(q, autoescape=True))
        )
    if unit_id is not None:
        get_unit(unit_id)
        stmt = stmt.where(User.unit_id == unit_id)
    return list(db.session.scalars(stmt.limit(limit)))


def search_units(q: str, limit: int = 20) -> list[Unit]:
    """Active units whose full name, short name or code contains ``q``."""
    q = q.strip()
    stmt = select(Unit).where(Unit.active.is_(True)).order_by(Unit.sort_order, Unit.id)
    if q:
        stmt = stmt.where(
            or_(
                Unit.name.contains(q, autoescape=True),
                Unit.short_name.contains(q, autoescape=True),
                Unit.code.icontains(q, autoescape=True),
            )
        )
    return list(db.session.scalars(stmt.limit(limit)))
