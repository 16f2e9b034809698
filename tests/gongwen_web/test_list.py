"""发文列表: data scope, filters, column sorting, paging and where each document waits."""

from __future__ import annotations

import re
from datetime import date

import pytest
from flask.testing import FlaskClient

from engine import api
from engine.definitions import repository
from services.db import db
from services.gongwen import versions
from services.gongwen.models import GongwenDocument
from tests.gongwen_web.conftest import Org, make_doc
from tests.workbench.conftest import PROCESSES
from tests.workbench.helpers import logged_in

ROW = re.compile(r'data-document-id="(\d+)"')


def listed(client: FlaskClient, query: str = "") -> list[int]:
    response = client.get(f"/gongwen/outgoing{query}")
    assert response.status_code == 200, response.get_data(as_text=True)
    return [int(i) for i in ROW.findall(response.get_data(as_text=True))]


def titles(client: FlaskClient, query: str) -> list[str]:
    return [db.session.get(GongwenDocument, i).title for i in listed(client, query)]


@pytest.fixture
def three(org: Org) -> dict[str, int]:
    """Three drafts of the drafter with different elements."""
    docs = {
        "a": make_doc(org, "关于预算执行的通知", drafted=date(2025, 3, 2), keywords="预算"),
        "b": make_doc(
            org,
            "关于安全检查的报告",
            doc_type="报告",
            drafted=date(2025, 5, 20),
            secrecy="秘密",
            urgency="very_urgent",
        ),
        "c": make_doc(org, "关于会议安排的函", doc_type="函", drafted=date(2024, 12, 30)),
    }
    db.session.commit()
    return {k: d.id for k, d in docs.items()}


def test_drafter_sees_own_documents_with_no_step(client, org, three):
    logged_in(client, "drafter")
    response = client.get("/gongwen/outgoing")
    page = response.get_data(as_text=True)
    assert sorted(ROW.findall(page)) == sorted(str(i) for i in three.values())
    assert "发文管理" in page and 'class="gw-step">—</td>' in page


@pytest.mark.parametrize(
    ("username", "expected"),
    [
        ("colleague", set()),  # same unit, takes no part
        ("head", set()),  # head of another department of the unit
        ("head2", {"a", "b", "c"}),  # head of the drafting department
        ("director", {"a", "b", "c"}),  # 办公室主任: the whole unit
        ("outsider", set()),  # another unit's principal leader: never
    ],
)
def test_data_scope(client, org, three, username, expected):
    logged_in(client, username)
    assert set(listed(client)) == {three[k] for k in expected}


def test_colleague_sees_document_once_they_author_a_version(client, org, three):
    versions.save_html_version(three["a"], "<p>改一句</p>", author_id=org.colleague.id)
    db.session.commit()
    logged_in(client, "colleague")
    assert listed(client) == [three["a"]]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?doc_type=报告", {"b"}),
        ("?secrecy=秘密", {"b"}),
        ("?secrecy=none", {"a", "c"}),
        ("?urgency=very_urgent", {"b"}),
        ("?q=预算", {"a"}),  # keyword column
        ("?q=安全检查", {"b"}),  # title
        ("?year=2024", {"c"}),
        ("?year=2025", {"a", "b"}),
        ("?drafted_from=2025-03-01&drafted_to=2025-03-02", {"a"}),
        ("?status=draft", {"a", "b", "c"}),
        ("?status=issued", set()),
    ],
)
def test_filters(client, org, three, query, expected):
    logged_in(client, "director")
    assert set(listed(client, query)) == {three[k] for k in expected}


def test_keyword_matches_document_number_and_issued_range(client, org):
    make_doc(
        org,
        "已印发的通知",
        status="issued",
        signer_id=org.director.id,
        doc_number="市财发〔2025〕7号",
        issued_date="2025-04-01",
    )
    make_doc(org, "另一件")
    db.session.commit()
    logged_in(client, "director")
    assert titles(client, "?q=〔2025〕7") == ["已印发的通知"]
    assert titles(client, "?issued_from=2025-04-01&issued_to=2025-04-01") == ["已印发的通知"]
    assert titles(client, "?issued_from=2025-04-02") == []


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?sort=drafted&dir=desc", ["b", "a", "c"]),
        ("?sort=drafted&dir=asc", ["c", "a", "b"]),
        ("?sort=urgency&dir=desc", ["b", "c", "a"]),  # 特急 first; ties newest id first
        ("?sort=secrecy&dir=desc", ["b", "c", "a"]),
        ("?sort=doc_type&dir=asc", ["c", "b", "a"]),  # 函 < 报告 < 通知 in code point order
    ],
)
def test_sorting(client, org, three, query, expected):
    logged_in(client, "director")
    assert listed(client, query) == [three[k] for k in expected]


def test_paging(client, org):
    for n in range(23):
        make_doc(org, f"第{n:02d}号通知")
    db.session.commit()
    logged_in(client, "director")
    first = listed(client, "?sort=title&dir=asc")
    second = listed(client, "?sort=title&dir=asc&page=2")
    assert len(first) == 20 and len(second) == 3 and not set(first) & set(second)
    assert "第 1 / 2 页" in client.get("/gongwen/outgoing").get_data(as_text=True)


def test_bad_filter_is_shown_in_chinese(client, org, three):
    logged_in(client, "director")
    response = client.get("/gongwen/outgoing?drafted_from=2025-13-01&year=abc")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "拟稿日期（起）格式应为 2025-03-01" in page and "年度应为四位数字" in page
    assert not ROW.findall(page)


def test_current_step_holder_and_long_wait(client, org, frozen_clock):
    # The 请假 process stands in for 发文: only the open task of the linked instance matters.
    repository.deploy({"qingjia.bpmn": (PROCESSES / "qingjia.bpmn").read_bytes()}, deployed_by=None)
    instance = api.start_instance("qingjia", starter_id=org.colleague.id, data={})
    fresh = make_doc(org, "刚到的文", urgency="very_urgent")
    waiting = make_doc(org, "放了很久的文", instance_id=instance.id)
    db.session.commit()
    frozen_clock.advance(days=4)  # past the 平件 limit of three days
    logged_in(client, "drafter")
    page = client.get("/gongwen/outgoing?sort=waiting&dir=desc").get_data(as_text=True)
    rows = ROW.findall(page)
    assert rows == [str(waiting.id), str(fresh.id)]
    task = api.open_tasks_for([instance.id])[instance.id][0]
    row = page.split(f'data-document-id="{waiting.id}"')[0].rsplit("<tr", 1)[1]
    assert "gw-long-wait" in row
    assert f'class="gw-step">{task.name}</td>' in page and "赵同事" in page
    assert "4天0小时" in page and "（滞留）" in page
    # Documents that wait nowhere (step "—") come after those that wait, in either direction.
    assert listed(client, "?sort=step&dir=asc") == [waiting.id, fresh.id]
    assert listed(client, "?sort=holder&dir=asc") == [waiting.id, fresh.id]
