"""公文监控: each data scope (本人/本部门/本单位及下属/全部) sees exactly its 发文 and 收文,
with where each waits and for how long; other units' documents never appear below 全部."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from flask.testing import FlaskClient

from engine import api
from engine.definitions import repository
from services.auth import accounts
from services.db import db
from services.gongwen.documents import create_document
from services.gongwen.exchange_models import FINISHED, SIGNED, IncomingRecord
from services.gongwen.models import GongwenDocument
from services.org.models import Department, Position, Unit, User
from tests.auth.helpers import PASSWORD, ensure_sysadmin
from tests.org.factories import make_department, make_unit, make_user
from tests.workbench.conftest import PROCESSES
from tests.workbench.helpers import logged_in

ROW = re.compile(r'data-document-id="(\d+)"')


@dataclass
class City:
    parent: Unit
    child: Unit
    grandchild: Unit
    other: Unit
    docs: dict[str, int]


def _person(username: str, unit: Unit, department: Department | None, position: str) -> User:
    user = make_user(username, unit=unit, department=department, position=position, name=username)
    accounts.set_password(user, PASSWORD, must_change=False)
    return user


def _out(unit: Unit, title: str, drafter: User, **fields: Any) -> GongwenDocument:
    return create_document(
        direction="out", unit_id=unit.id, doc_type="通知", title=title, drafter_id=drafter.id,
        drafting_department_id=drafter.department_id, **fields,
    )  # fmt: skip


def _in(unit: Unit, title: str, keeper: User, **record: Any) -> GongwenDocument:
    document = create_document(
        direction="in", unit_id=unit.id, doc_type="通知", title=title, drafter_id=keeper.id
    )
    db.session.add(
        IncomingRecord(document_id=document.id, unit_id=unit.id, from_unit="省厅", **record)
    )
    return document


@pytest.fixture
def city(app: Any) -> City:
    """市政府 > 市财政局 > 财政中心, and 市交通局 apart; people of every data scope."""
    ensure_sysadmin()
    db.session.add(
        Position(code="inspector", name="督查专员", rank=6, is_leader=False, data_scope="all")
    )
    parent = make_unit("市政府", kind="leading")
    child = make_unit("市财政局", parent=parent)
    grandchild = make_unit("财政中心", parent=child)
    other = make_unit("市交通局")
    general, secretariat = (
        make_department("综合科", unit=parent),
        make_department("秘书科", unit=parent),
    )
    make_department("办公室", unit=parent, is_office=True)
    clerk = _person("clerk", parent, general, "staff")
    clerk2 = _person("clerk2", parent, secretariat, "staff")
    _person("head", parent, general, "dept_head")
    _person("leader", parent, None, "principal")
    child_leader = _person("childleader", child, None, "principal")
    grand_clerk = _person("grandclerk", grandchild, None, "staff")
    outsider = _person("outsider", other, None, "principal")
    _person("inspector", other, None, "inspector")
    repository.deploy({"qingjia.bpmn": (PROCESSES / "qingjia.bpmn").read_bytes()}, deployed_by=None)
    started = api.start_instance("qingjia", starter_id=clerk.id, data={})
    docs = {
        "p_a": _out(parent, "综合科的发文", clerk),
        "p_b": _out(parent, "秘书科的发文", clerk2),
        "c": _out(child, "财政局的发文", child_leader),
        "g": _out(grandchild, "财政中心的发文", grand_clerk),
        "x": _out(other, "交通局的发文", outsider),
        "rp": _in(parent, "秘书科签收的收文", clerk2, status=SIGNED, signed_by_id=clerk2.id),
        "rp2": _in(parent, "综合科在办的收文", clerk2, status=SIGNED, instance_id=started.id),
        "rc": _in(
            child, "财政局逾期的收文", child_leader, status=SIGNED, deadline=date(2020, 1, 1)
        ),
        "rx": _in(
            other, "交通局办结的收文", outsider, status=FINISHED, result="已按要求落实并答复"
        ),
    }
    db.session.commit()
    return City(parent, child, grandchild, other, {k: d.id for k, d in docs.items()})


def listed(client: FlaskClient, query: str = "") -> list[int]:
    response = client.get(f"/gongwen/monitor{query}")
    assert response.status_code == 200, response.get_data(as_text=True)
    return [int(i) for i in ROW.findall(response.get_data(as_text=True))]


SCOPES = {
    "clerk": {"p_a", "rp2"},  # 本人: drafted it; started the 收文's process
    "clerk2": {"p_b", "rp"},  # 本人: drafted it; signed for it
    "head": {"p_a", "rp2"},  # 本部门: the department's drafts and what its members handle
    "leader": {"p_a", "p_b", "c", "g", "rp", "rp2", "rc"},  # 本单位及下属
    "childleader": {"c", "g", "rc"},  # 本单位及下属, never the parent's
    "grandclerk": {"g"},
    "outsider": {"x", "rx"},  # 本单位 without units below
    "inspector": {"p_a", "p_b", "c", "g", "x", "rp", "rp2", "rc", "rx"},  # 全部
}


@pytest.mark.parametrize("username", sorted(SCOPES))
def test_each_data_scope_sees_exactly_its_documents(client, city, username):
    logged_in(client, username)
    expected = {city.docs[k] for k in SCOPES[username]}
    assert sorted(listed(client)) == sorted(expected)


def test_head_sees_the_department_but_not_the_other_one(client, city):
    logged_in(client, "head")
    assert city.docs["p_b"] not in listed(client) and city.docs["rp"] not in listed(client)


def test_columns_status_result_and_waiting_time(client, frozen_clock, city):
    frozen_clock.advance(days=4)
    logged_in(client, "inspector")
    page = client.get("/gongwen/monitor").get_data(as_text=True)
    rows = ROW.findall(page)
    # The longest wait comes first.
    assert rows[0] == str(city.docs["rp2"])
    waiting = page.split(f'data-document-id="{city.docs["rp2"]}"')[1].split("</tr>")[0]
    assert "收文" in waiting and "4天" in waiting and "（滞留）" in waiting
    assert "clerk" in waiting  # the holder of the open task
    finished = page.split(f'data-document-id="{city.docs["rx"]}"')[1].split("</tr>")[0]
    assert "已办结" in finished and "已按要求落实并答复" in finished and "交通局" in finished
    assert "查看范围：全部" in page


def test_filters_direction_status_and_overdue(client, frozen_clock, city):
    frozen_clock.advance(days=4)
    logged_in(client, "leader")
    docs = city.docs
    assert sorted(listed(client, "?direction=out")) == sorted(
        docs[k] for k in ("p_a", "p_b", "c", "g")
    )
    assert sorted(listed(client, "?direction=in")) == sorted(docs[k] for k in ("rp", "rp2", "rc"))
    assert sorted(listed(client, f"?status={SIGNED}")) == sorted(
        docs[k] for k in ("rp", "rp2", "rc")
    )
    assert sorted(listed(client, "?status=draft&direction=out")) == sorted(
        docs[k] for k in ("p_a", "p_b", "c", "g")
    )
    assert listed(client, "?status=draft&direction=in") == []
    # Overdue: the 收文 past its 办理期限 and the one waiting four days.
    assert sorted(listed(client, "?overdue=1")) == sorted([docs["rp2"], docs["rc"]])


def test_bad_filter_is_refused_in_chinese(client, city):
    logged_in(client, "leader")
    response = client.get("/gongwen/monitor?direction=sideways&status=nonsense")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "类型不正确" in page and "状态不正确" in page and not ROW.findall(page)


def test_guessing_does_not_leak(client, city):
    logged_in(client, "childleader")
    docs = city.docs
    # Unknown parameters never widen the scope; other units' pages stay closed.
    for query in (f"?unit_id={city.parent.id}", f"?document_id={docs['p_a']}", "?scope=all"):
        assert sorted(listed(client, query)) == sorted(docs[k] for k in ("c", "g", "rc"))
    assert client.get(f"/gongwen/{docs['p_a']}").status_code in (403, 404)
    page = client.get("/gongwen/monitor").get_data(as_text=True)
    # Subordinate units' documents are listed without a link to a page the viewer cannot open.
    assert f'href="/gongwen/{docs["g"]}"' not in page and "财政中心的发文" in page
    assert f'href="/gongwen/{docs["c"]}"' in page


def test_paging(client, city):
    clerk = db.session.scalars(db.select(User).where(User.username == "clerk")).one()
    for n in range(25):
        _out(city.parent, f"批量发文{n}", clerk)
    db.session.commit()
    logged_in(client, "clerk")
    first, second = listed(client), listed(client, "?page=2")
    assert len(first) == 20 and len(second) == 7 and not set(first) & set(second)
    assert "第 1 / 2 页" in client.get("/gongwen/monitor").get_data(as_text=True)


def test_nav_link(client, city):
    logged_in(client, "clerk")
    assert 'href="/gongwen/monitor"' in client.get("/gongwen/monitor").get_data(as_text=True)
