"""Assignment rules: the grammar, and resolving each kind on a small organisation."""

from __future__ import annotations

from typing import Any

import pytest

from engine import assignment
from engine.assignment import Assignment, Rule
from engine.errors import EngineError
from services.db import db
from services.org.roles import REGISTRAR
from tests.engine.definitions.conftest import SmallOrg


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (None, Rule("starter", source="starter")),
        ("", Rule("starter", source="starter")),
        ("starter", Rule("starter", source="starter")),
        ("user:zhangsan", Rule("user", "zhangsan", source="user:zhangsan")),
        ("role:registrar", Rule("role", "registrar", source="role:registrar")),
        (
            "role:registrar@unit:jyj",
            Rule("role", "registrar", unit_code="jyj", source="role:registrar@unit:jyj"),
        ),
        (
            "leader:starter_unit",
            Rule("leader", selector="starter_unit", source="leader:starter_unit"),
        ),
        (
            "principal:data.unit",
            Rule("principal", "unit", selector="data", source="principal:data.unit"),
        ),
        (
            "dept_head:starter_department",
            Rule("dept_head", selector="starter_department", source="dept_head:starter_department"),
        ),
        (
            "dept_head:data.owner_dept",
            Rule("dept_head", "owner_dept", selector="data", source="dept_head:data.owner_dept"),
        ),
        (
            "supervisor:starter_department",
            Rule(
                "supervisor", selector="starter_department", source="supervisor:starter_department"
            ),
        ),
        ("data:reviewers", Rule("data", "reviewers", source="data:reviewers")),
        ("dmn:approver", Rule("dmn", "approver", source="dmn:approver")),
        ("  user : li  ", Rule("user", "li", source="user : li")),
    ],
)
def test_parse_rule(text: str | None, expected: Rule) -> None:
    assert assignment.parse_rule(text) == expected


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("zhangsan", "应为“类型:参数”"),
        ("user:", "应为“类型:参数”"),
        ("boss:me", "类型 boss 不存在"),
        ("user:张 三", "不是合法的名称"),
        ("role:registrar@jyj", "role:角色代码@unit:单位代码"),
        ("leader:starter_department", "starter_unit 或 data.字段名"),
        ("dept_head:starter_unit", "starter_department 或 data.字段名"),
        ("dept_head:data.", "starter_department 或 data.字段名"),
        ("data:a.b", "不是合法的字段名"),
        ("camunda:${x}", "类型 camunda 不存在"),
    ],
)
def test_parse_rule_refuses_with_chinese_message(text: str, fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment.replace(".", r"\.").replace("(", r"\(")):
        assignment.parse_rule(text)


def resolve(text: str, starter: Any, data: dict[str, Any] | None = None, **kw: Any) -> Assignment:
    return assignment.resolve(
        assignment.parse_rule(text), data=data or {}, starter_id=starter.id, **kw
    )


@pytest.mark.parametrize(
    ("text", "data", "assigned", "candidates"),
    [
        ("starter", {}, ["clerk"], []),
        ("user:head", {}, ["head"], []),
        ("principal:starter_unit", {}, ["chief"], []),
        ("office_director:starter_unit", {}, ["odir"], []),
        ("leader:starter_unit", {}, [], ["chief", "dep1", "dep2"]),
        ("dept_head:starter_department", {}, ["head"], []),
        ("supervisor:starter_department", {}, ["dep1"], []),
        ("role:registrar", {}, ["reg"], []),
        ("role:registrar@unit:jyj", {}, ["reg"], []),
        ("data:reviewer", {"reviewer": "odir"}, ["odir"], []),
        ("data:reviewers", {"reviewers": ["head", "odir", "head"]}, [], ["head", "odir"]),
        ("principal:data.unit", {"unit": "qsz"}, ["tchief"], []),
    ],
)
def test_resolve_on_small_org(
    org: SmallOrg, text: str, data: dict[str, Any], assigned: list[str], candidates: list[str]
) -> None:
    result = resolve(text, org.clerk, data)
    names = {
        u.id: u.username
        for u in (
            org.chief,
            org.deputy1,
            org.deputy2,
            org.officedir,
            org.registrar,
            org.head,
            org.clerk,
            org.town_chief,
        )
    }
    assert [names[i] for i in result.user_ids] == assigned
    assert [names[i] for i in result.candidate_user_ids] == candidates


def test_dept_head_of_department_in_data(org: SmallOrg) -> None:
    result = resolve("dept_head:data.owner", org.chief, {"owner": org.basic.id})
    assert result.user_ids == [org.head.id]
    by_text = resolve("dept_head:data.owner", org.chief, {"owner": str(org.basic.id)})
    assert by_text.user_ids == [org.head.id]


def test_data_rule_accepts_user_ids(org: SmallOrg) -> None:
    result = resolve("data:signers", org.clerk, {"signers": [org.head.id, str(org.chief.id)]})
    assert result.candidate_user_ids == [org.head.id, org.chief.id]


def test_dmn_rule_uses_the_decision(org: SmallOrg) -> None:
    calls: list[tuple[str, dict[str, Any]]] = []

    def decide(decision_id: str, data: dict[str, Any]) -> dict[str, Any]:
        calls.append((decision_id, data))
        return {"assignee": "chief"}

    assert resolve("dmn:approver", org.clerk, {"days": 5}, decide=decide).user_ids == [org.chief.id]
    assert calls == [("approver", {"days": 5})]


def test_dmn_collect_result_gives_candidates(org: SmallOrg) -> None:
    result = resolve("dmn:signers", org.clerk, decide=lambda *_: {"who": ["head", "odir"]})
    assert result.candidate_user_ids == [org.head.id, org.officedir.id]


@pytest.mark.parametrize(
    ("text", "data", "fragment"),
    [
        ("dept_head:data.owner", {}, "流程数据中没有 owner"),
        ("dept_head:data.owner", {"owner": "abc"}, "不是合法的编号"),
        ("user:nobody", {}, "用户 nobody 不存在"),
        ("role:registrar@unit:nowhere", {}, "单位代码 nowhere 不存在"),
        ("role:no_such_role", {}, "角色不存在"),
        ("data:reviewer", {}, "找不到在岗的办理人"),
        ("dmn:approver", {}, "需要 DMN 决策"),
    ],
)
def test_unresolvable_rules_raise_engine_error(
    org: SmallOrg, text: str, data: dict[str, Any], fragment: str
) -> None:
    with pytest.raises(EngineError, match=fragment):
        resolve(text, org.clerk, data)


def test_vacant_post_raises(org: SmallOrg) -> None:
    personnel_clerk = org.clerk
    personnel_clerk.department = org.personnel  # 人事科 has no head
    db.session.flush()
    with pytest.raises(EngineError, match="dept_head:starter_department 找不到在岗的办理人"):
        resolve("dept_head:starter_department", personnel_clerk)


def test_inactive_users_are_skipped(org: SmallOrg) -> None:
    result = resolve("data:who", org.clerk, {"who": ["old", "head"]})
    assert result.candidate_user_ids == [] and result.user_ids == [org.head.id]


def test_starter_without_department(org: SmallOrg) -> None:
    with pytest.raises(EngineError, match="发起人不属于任何部门"):
        resolve("supervisor:starter_department", org.chief)


def test_role_in_starter_unit_only(org: SmallOrg) -> None:
    with pytest.raises(EngineError):
        resolve(f"role:{REGISTRAR}", org.town_chief)
