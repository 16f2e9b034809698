"""Who does a user task: the ``assignee`` rule of the task, resolved through the directory.

Rules are Spiff properties on a userTask::

    <spiffworkflow:property name="assignee" value="dept_head:starter_department"/>

Grammar (one rule per task; spaces around the parts are ignored)::

    rule        := "starter"                          发起人
                 | "user:" USERNAME                   指定用户
                 | "role:" ROLE_CODE                  发起人单位中持有该角色的人（候选，需认领）
                 | "role:" ROLE_CODE "@unit:" CODE    指定单位中持有该角色的人（候选）
                 | "leader:" UNIT                     单位领导（主要负责人和分管领导，候选）
                 | "principal:" UNIT                  单位主要负责人
                 | "office_director:" UNIT            单位办公室主任
                 | "dept_head:" DEPARTMENT            部门负责人
                 | "supervisor:" DEPARTMENT           部门的分管领导
                 | "data:" FIELD                      前序步骤算出的用户名/用户 ID（或它们的列表）
                 | "dmn:" DECISION_ID                 DMN 决策表的结果（同 data: 的取值规则）
    UNIT        := "starter_unit" | "data." FIELD     （FIELD 为单位 ID 或单位代码）
    DEPARTMENT  := "starter_department" | "data." FIELD   （FIELD 为部门 ID）

One person resolves to ``user_ids`` (the task is assigned); several resolve to
``candidate_user_ids`` (the task waits in their 待认领 list until one claims it). A task with no
rule goes to the starter, so BPMN files from other modelers run. A vacant post raises an
``EngineError`` naming the rule, which the runtime turns into an incident for an admin.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy import bindparam, select
from sqlalchemy.orm.util import identity_key

from engine.errors import EngineError
from engine.runtime.direct import Direct
from services.db import db
from services.errors import NotFound
from services.org import directory
from services.org.models import Unit, User

UNIT_KINDS = ("leader", "principal", "office_director")
DEPARTMENT_KINDS = ("dept_head", "supervisor")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_\-.]*$")
_FIELD = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

Decide = Callable[[str, dict[str, Any]], Any]


@dataclass(frozen=True)
class Rule:
    """A parsed assignment rule; ``selector`` is starter_unit/starter_department/data."""

    kind: str
    arg: str = ""
    unit_code: str | None = None
    selector: str | None = None
    source: str = ""


@dataclass(frozen=True)
class Assignment:
    """Resolved people: assigned directly, or candidates who may claim the task."""

    user_ids: list[int] = field(default_factory=list)
    candidate_user_ids: list[int] = field(default_factory=list)


STARTER = Rule("starter", source="starter")


class Person(Protocol):
    """What resolving needs of a user: a ``User`` or a row of just these columns."""

    @property
    def id(self) -> int: ...

    @property
    def active(self) -> bool: ...


# A user named in a rule or in process data: two columns, not a whole ORM object (one per
# new task on the hot path).
# Run on every task created (``direct``: the SQL, without SQLAlchemy's per-statement cost).
_PERSON_BY_USERNAME = Direct(
    select(User.id, User.active).where(User.username == bindparam("username"))
)
_PERSON_BY_ID = Direct(select(User.id, User.active).where(User.id == bindparam("user_id")))


@dataclass(frozen=True)
class _PersonRow:
    """A ``Person`` read as its two columns."""

    id: int
    active: bool


def _person_row(params: dict[str, Any], query: Direct) -> _PersonRow | None:
    row = query.first(params)
    return _PersonRow(row["id"], row["active"]) if row is not None else None


def parse_rule(text: str | None) -> Rule:
    """Parse an ``assignee`` property; empty means the starter. ValueError (Chinese) if bad."""
    source = (text or "").strip()
    if not source or source == "starter":
        return STARTER
    kind, sep, arg = (part.strip() for part in source.partition(":"))
    if not sep or not arg:
        raise ValueError(f"办理人规则 {source!r} 无法识别：应为“类型:参数”，如 user:zhangsan")
    parser = _PARSERS.get(kind)
    if parser is None:
        raise ValueError(
            f"办理人规则 {source!r} 的类型 {kind} 不存在（可用：starter、{'、'.join(_PARSERS)}）"
        )
    return parser(kind, arg, source)


def _parse_name(kind: str, arg: str, source: str) -> Rule:
    if not _NAME.match(arg):
        raise ValueError(f"办理人规则 {source!r} 中的 {arg!r} 不是合法的名称")
    return Rule(kind, arg, source=source)


def _parse_field(kind: str, arg: str, source: str) -> Rule:
    if not _FIELD.match(arg):
        raise ValueError(f"办理人规则 {source!r} 中的 {arg!r} 不是合法的字段名")
    return Rule(kind, arg, source=source)


def _parse_role(kind: str, arg: str, source: str) -> Rule:
    role, at, unit_part = arg.partition("@")
    unit_code = None
    if at:
        prefix, _, unit_code = unit_part.partition(":")
        if prefix != "unit" or not unit_code:
            raise ValueError(f"办理人规则 {source!r} 应写作 role:角色代码@unit:单位代码")
    _parse_name(kind, role, source)
    if unit_code is not None:
        _parse_name(kind, unit_code, source)
    return Rule(kind, role, unit_code=unit_code, source=source)


def _parse_selector(kind: str, arg: str, source: str) -> Rule:
    own = "starter_unit" if kind in UNIT_KINDS else "starter_department"
    if arg == own:
        return Rule(kind, selector=own, source=source)
    prefix, dot, name = arg.partition(".")
    if prefix == "data" and dot and _FIELD.match(name):
        return Rule(kind, name, selector="data", source=source)
    raise ValueError(f"办理人规则 {source!r} 的参数应为 {own} 或 data.字段名")


_PARSERS: dict[str, Callable[[str, str, str], Rule]] = {
    "user": _parse_name,
    "role": _parse_role,
    **{kind: _parse_selector for kind in UNIT_KINDS + DEPARTMENT_KINDS},
    "data": _parse_field,
    "dmn": _parse_name,
}


# ---------------------------------------------------------------------------- resolving


def resolve(
    rule: Rule, *, data: dict[str, Any], starter_id: int, decide: Decide | None = None
) -> Assignment:
    """Resolve ``rule`` for an instance started by ``starter_id`` with instance ``data``.

    ``decide(decision_id, data)`` evaluates a DMN decision (``LoadedSpec.decide``); needed only
    for ``dmn:`` rules. Raises EngineError when nobody (active) matches.
    """
    people = _people(rule, data, starter_id, decide)
    ids = list(dict.fromkeys(u.id for u in people if u.active))
    if not ids:
        raise EngineError(f"按办理人规则 {rule.source} 找不到在岗的办理人", rule=rule.source)
    if len(ids) == 1:
        return Assignment(user_ids=ids)
    return Assignment(candidate_user_ids=ids)


def _people(
    rule: Rule, data: dict[str, Any], starter_id: int, decide: Decide | None
) -> list[Person]:
    # The starter is read only by the rules that need them (one query less per task otherwise).
    if rule.kind == "starter":
        return [_person(starter_id)]
    if rule.kind == "user":
        return _users_from_value(rule.arg, rule)
    if rule.kind == "role":
        unit_id = (
            _unit_by_code(rule.unit_code, rule).id
            if rule.unit_code
            else directory.get_user(starter_id).unit_id
        )
        return _lookup(lambda: directory.role_members(rule.arg, unit_id), rule)
    if rule.kind in UNIT_KINDS:
        return _unit_people(rule, _unit_id(rule, data, starter_id))
    if rule.kind in DEPARTMENT_KINDS:
        return _department_people(rule, _department_id(rule, data, starter_id))
    if rule.kind == "data":
        return _users_from_value(data.get(rule.arg), rule)
    return _users_from_value(_decision_value(rule, data, decide), rule)


def _unit_people(rule: Rule, unit_id: int) -> list[Person]:
    if rule.kind == "leader":
        return _lookup(lambda: directory.unit_leaders(unit_id), rule)
    if rule.kind == "principal":
        return _one(_lookup(lambda: directory.principal_leader(unit_id), rule))
    return _one(_lookup(lambda: directory.office_director(unit_id), rule))


def _department_people(rule: Rule, department_id: int) -> list[Person]:
    if rule.kind == "dept_head":
        return _one(_lookup(lambda: directory.department_head(department_id), rule))
    return _one(_lookup(lambda: directory.supervising_leader(department_id), rule))


def _one(user: User | None) -> list[Person]:
    return [user] if user is not None else []


def _lookup(query: Callable[[], Any], rule: Rule) -> Any:
    try:
        return query()
    except NotFound as exc:
        raise EngineError(f"办理人规则 {rule.source}：{exc.message}", rule=rule.source) from exc


def _unit_id(rule: Rule, data: dict[str, Any], starter_id: int) -> int:
    if rule.selector == "starter_unit":
        return directory.get_user(starter_id).unit_id
    value = _required_field(rule, data)
    if isinstance(value, str) and not value.isdigit():
        return _unit_by_code(value, rule).id
    return _as_id(value, rule)


def _department_id(rule: Rule, data: dict[str, Any], starter_id: int) -> int:
    if rule.selector == "starter_department":
        starter = directory.get_user(starter_id)
        if starter.department_id is None:
            raise EngineError(f"办理人规则 {rule.source}：发起人不属于任何部门", rule=rule.source)
        return starter.department_id
    return _as_id(_required_field(rule, data), rule)


def _required_field(rule: Rule, data: dict[str, Any]) -> Any:
    if data.get(rule.arg) in (None, ""):
        raise EngineError(f"办理人规则 {rule.source}：流程数据中没有 {rule.arg}", rule=rule.source)
    return data[rule.arg]


def _as_id(value: Any, rule: Rule) -> int:
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise EngineError(
            f"办理人规则 {rule.source}：{value!r} 不是合法的编号", rule=rule.source
        ) from exc


def _unit_by_code(code: str | None, rule: Rule) -> Unit:
    unit = db.session.scalars(select(Unit).where(Unit.code == code)).one_or_none()
    if unit is None:
        raise EngineError(f"办理人规则 {rule.source}：单位代码 {code} 不存在", rule=rule.source)
    return unit


def _users_from_value(value: Any, rule: Rule) -> list[Person]:
    values = value if isinstance(value, list | tuple) else [value]
    return [_user_from_value(v, rule) for v in values if v not in (None, "")]


def _person(user_id: int) -> Person:
    """A user known by id: the loaded object if the session has it, else two columns."""
    loaded = db.session.identity_map.get(identity_key(User, user_id))
    if loaded is not None:
        return loaded
    found = _person_row({"user_id": user_id}, _PERSON_BY_ID)
    # Unknown id: the directory raises its NotFound.
    return found if found is not None else directory.get_user(user_id)


def _user_from_value(value: Any, rule: Rule) -> Person:
    if isinstance(value, int) and not isinstance(value, bool):
        return _lookup(lambda: directory.get_user(value), rule)
    if isinstance(value, str) and value.isdigit():
        return _lookup(lambda: directory.get_user(int(value)), rule)
    params = {"username": str(value)}
    user = _person_row(params, _PERSON_BY_USERNAME)
    if user is None:
        raise EngineError(f"办理人规则 {rule.source}：用户 {value} 不存在", rule=rule.source)
    return user


def _decision_value(rule: Rule, data: dict[str, Any], decide: Decide | None) -> Any:
    if decide is None:
        raise EngineError(f"办理人规则 {rule.source} 需要 DMN 决策，但未提供", rule=rule.source)
    result = decide(rule.arg, data)
    if not isinstance(result, dict):
        return result
    # The output column named ``assignee``, else the first one (a list under COLLECT).
    if "assignee" in result:
        return result["assignee"]
    return next(iter(result.values()), None)
