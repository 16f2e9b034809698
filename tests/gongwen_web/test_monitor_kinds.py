"""公文监控 over the three kinds, 发文, 收文 and 签报: the 类型 filter, each data scope
(本人/本部门/本单位及下属/全部) seeing exactly its documents of each kind, and a 签报's status,
result, current step, holder and waiting time."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select

from engine import api
from services.db import db
from services.gongwen.documents import create_document
from services.gongwen.models import GongwenDocument
from services.org.models import Unit, User
from tests.auth.helpers import csrf_token
from tests.gongwen_web import test_monitor
from tests.gongwen_web.test_monitor import ROW, SCOPES, City, listed
from tests.workbench.helpers import logged_in

city = test_monitor.city  # the monitor city fixture: 市政府 > 市财政局 > 财政中心, 市交通局
KINDS = ("out", "in", "internal")
QIANBAO_SCOPES = {
    "clerk": {"q_a"},  # drafted it
    "clerk2": {"q_b"},  # drafted it and holds its open step
    "head": {"q_a"},  # 本部门: drafted in 综合科
    "leader": {"q_a", "q_b", "q_c", "q_g"},  # 本单位及下属
    "childleader": {"q_c", "q_g"},
    "grandclerk": {"q_g"},
    "outsider": {"q_x"},
    "inspector": {"q_a", "q_b", "q_c", "q_g", "q_x"},  # 全部
}


def _user(username: str) -> User:
    return db.session.scalars(select(User).where(User.username == username)).one()


def _qianbao(unit: Unit, title: str, drafter: User, **state: Any) -> GongwenDocument:
    document = create_document(
        direction="internal", unit_id=unit.id, doc_type="意见", title=title, drafter_id=drafter.id,
        drafting_department_id=drafter.department_id,
    )  # fmt: skip
    for name, value in state.items():
        setattr(document, name, value)
    return document


@pytest.fixture
def docs(city: City) -> dict[str, int]:
    """The monitor city's 发文 and 收文, and a 签报 in each unit (秘书科's waits in a process)."""
    clerk2 = _user("clerk2")
    waiting = api.start_instance("qingjia", starter_id=clerk2.id, data={})
    made = {
        "q_a": _qianbao(city.parent, "综合科的签报", _user("clerk")),
        "q_b": _qianbao(
            city.parent, "秘书科在办的签报", clerk2, status="reviewing", instance_id=waiting.id
        ),
        "q_c": _qianbao(city.child, "财政局已批示的签报", _user("childleader"), status="archived"),
        "q_g": _qianbao(city.grandchild, "财政中心的签报", _user("grandclerk")),
        "q_x": _qianbao(city.other, "交通局的签报", _user("outsider")),
    }
    db.session.commit()
    return city.docs | {key: document.id for key, document in made.items()}


def _kind(key: str) -> str:
    """The monitor city's keys: ``r…`` 收文, ``q_…`` 签报, the rest 发文."""
    return "internal" if key.startswith("q_") else "in" if key.startswith("r") else "out"


def _expected(username: str, kind: str | None = None) -> set[str]:
    keys = SCOPES[username] | QIANBAO_SCOPES[username]
    return {k for k in keys if kind is None or _kind(k) == kind}


@pytest.mark.parametrize("username", sorted(SCOPES))
def test_each_scope_sees_exactly_its_documents_of_every_kind(client, docs, username):
    logged_in(client, username)
    assert sorted(listed(client)) == sorted(docs[k] for k in _expected(username))
    for kind in KINDS:
        found = listed(client, f"?direction={kind}")
        assert sorted(found) == sorted(docs[k] for k in _expected(username, kind)), kind


def test_kind_filter_offers_the_three_kinds(client, docs):
    logged_in(client, "leader")
    page = client.get("/gongwen/monitor?direction=internal").get_data(as_text=True)
    for code, word in (("out", "发文"), ("in", "收文"), ("internal", "签报")):
        assert f'<option value="{code}"' in page and f">{word}</option>" in page
    assert '<option value="internal" selected>' in page
    assert set(re.findall(r'data-direction="(\w+)"', page)) == {"internal"}


def test_a_qianbao_row_shows_status_result_step_holder_and_wait(client, frozen_clock, docs):
    frozen_clock.advance(days=3)
    logged_in(client, "inspector")
    page = client.get("/gongwen/monitor?direction=internal").get_data(as_text=True)
    row = page.split(f'data-document-id="{docs["q_b"]}"')[1].split("</tr>")[0]
    assert "签报" in row and "审批中" in row and "3天" in row
    assert "clerk2" in row  # the holder of its open step
    assert f'href="/gongwen/qianbao/{docs["q_b"]}"' not in page  # not the inspector's unit
    done = page.split(f'data-document-id="{docs["q_c"]}"')[1].split("</tr>")[0]
    assert "已办结归档" in done and "已批示" in done
    # The longest wait comes first.
    assert ROW.findall(page)[0] == str(docs["q_b"])


def test_own_units_qianbao_links_to_its_page(client, docs):
    logged_in(client, "leader")
    page = client.get("/gongwen/monitor?direction=internal").get_data(as_text=True)
    assert f'href="/gongwen/qianbao/{docs["q_b"]}"' in page
    assert client.get(f"/gongwen/qianbao/{docs['q_b']}").status_code == 200
    client.post("/logout", data={"csrf_token": csrf_token(client, "/gongwen/monitor")})
    below = logged_in(client, "childleader")
    assert f"/gongwen/qianbao/{docs['q_b']}" not in below.get("/gongwen/monitor").get_data(
        as_text=True
    )
    assert below.get(f"/gongwen/qianbao/{docs['q_b']}").status_code in (403, 404)


def test_status_filter_for_qianbao(client, docs):
    logged_in(client, "leader")
    found = listed(client, "?direction=internal&status=reviewing")
    assert found == [docs["q_b"]]
    assert listed(client, "?direction=internal&status=已签收") == []
    page = client.get("/gongwen/monitor?direction=internal&status=reviewing").get_data(as_text=True)
    assert '<optgroup label="签报">' in page
