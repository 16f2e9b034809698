"""签报管理: the unit's 签报 in the user's scope, filters, sorting, where each one waits, the 签报
page with its files and instance link; another unit's user sees nothing, guessed ids get 403."""

from __future__ import annotations

import hashlib
import re
from datetime import date

import pytest
from flask.testing import FlaskClient

from engine import api
from engine.definitions import repository
from services.db import db
from services.gongwen.models import DocumentFile, GongwenDocument
from tests.gongwen_web.conftest import Org, make_doc
from tests.studio.helpers import forget_csrf
from tests.workbench.conftest import PROCESSES
from tests.workbench.helpers import logged_in

ROW = re.compile(r'data-document-id="(\d+)"')


def qianbao(org: Org, title: str, **fields) -> GongwenDocument:
    fields.setdefault("doc_type", "意见")
    return _internal(org, title, **fields)


def _internal(org: Org, title: str, **fields) -> GongwenDocument:
    status = fields.pop("status", "reviewing")
    document = make_doc(org, title, **fields)
    document.direction, document.status = "internal", status
    db.session.flush()
    return document


def listed(client: FlaskClient, query: str = "") -> list[int]:
    response = client.get(f"/gongwen/qianbao{query}")
    assert response.status_code == 200, response.get_data(as_text=True)
    return [int(i) for i in ROW.findall(response.get_data(as_text=True))]


@pytest.fixture
def docs(org: Org) -> dict[str, int]:
    found = {
        "budget": qianbao(org, "关于追加办公经费的签报", drafted=date(2026, 3, 2), keywords="经费"),
        "car": qianbao(
            org, "关于公务用车维修的签报", drafted=date(2026, 5, 20), urgency="very_urgent"
        ),
        "done": qianbao(
            org, "关于年度培训计划的签报", drafted=date(2025, 12, 30), status="archived"
        ),
        "other_dept": qianbao(
            org, "关于预算科人员借调的签报", drafter=org.head, department=org.other_department
        ),
        "fawen": make_doc(org, "关于预算执行的通知（发文）"),
    }
    db.session.commit()
    return {k: d.id for k, d in found.items()}


@pytest.mark.parametrize(
    ("username", "expected"),
    [
        ("drafter", {"budget", "car", "done"}),  # own drafts only
        ("colleague", set()),  # same department, took no part
        ("head", {"other_dept"}),  # 部门负责人: the department's 签报
        ("director", {"budget", "car", "done", "other_dept"}),  # 办公室主任: the whole unit
        ("outsider", set()),  # another unit's principal leader
    ],
)
def test_each_user_sees_the_qianbao_of_their_scope(client, docs, username, expected) -> None:
    logged_in(client, username)
    assert set(listed(client)) == {docs[k] for k in expected}


def test_guessing_ids_of_another_unit_or_of_a_fawen_is_refused(app, client, org, docs) -> None:
    file = DocumentFile(
        document_id=docs["budget"],
        kind="sheet_pdf",
        filename="签报单.pdf",
        content=b"%PDF-1.4 test",
        sha256=hashlib.sha256(b"%PDF-1.4 test").hexdigest(),
        size=13,
    )
    db.session.add(file)
    db.session.commit()
    logged_in(client, "outsider")
    assert client.get(f"/gongwen/qianbao/{docs['budget']}").status_code == 403
    assert client.get(f"/gongwen/qianbao/{docs['budget']}/files/{file.id}").status_code == 403
    assert client.get("/gongwen/qianbao/999999").status_code == 403
    forget_csrf()
    client = logged_in(app.test_client(), "drafter")
    assert client.get(f"/gongwen/qianbao/{docs['fawen']}").status_code == 403  # not a 签报
    page = client.get(f"/gongwen/qianbao/{docs['budget']}")
    assert page.status_code == 200 and "签报单.pdf" in page.get_data(as_text=True)
    download = client.get(f"/gongwen/qianbao/{docs['budget']}/files/{file.id}")
    assert download.status_code == 200 and download.data == b"%PDF-1.4 test"
    assert client.get(f"/gongwen/qianbao/{docs['car']}/files/{file.id}").status_code == 404


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?status=archived", ["done"]),
        ("?urgency=very_urgent", ["car"]),
        ("?q=经费", ["budget"]),
        ("?q=签报&sort=title&dir=asc", ["car", "done", "budget"]),
        ("?drafted_from=2026-01-01&drafted_to=2026-04-01", ["budget"]),
        ("?sort=drafted&dir=asc", ["done", "budget", "car"]),
        ("?sort=urgency&dir=desc", ["car", "done", "budget"]),  # 特急 first
    ],
)
def test_filters_and_sorting(client, docs, query, expected) -> None:
    logged_in(client, "drafter")
    assert listed(client, query) == [docs[k] for k in expected]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("?drafted_from=2026-13-01", "拟稿日期（起）格式应为 2026-03-01"),
        ("?status=signed_off", "状态不正确"),
        ("?sort=drop", "不支持的排序方式"),
        ("?drafted_from=2026-05-01&drafted_to=2026-04-01", "结束日期不能早于开始日期"),
    ],
)
def test_bad_filters_are_explained_in_chinese(client, docs, query, message) -> None:
    logged_in(client, "drafter")
    response = client.get(f"/gongwen/qianbao{query}")
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)


def test_a_running_qianbao_shows_its_step_holder_and_instance(client, org) -> None:
    # The 请假 process stands in: only the open task of the linked instance matters here.
    repository.deploy({"qingjia.bpmn": (PROCESSES / "qingjia.bpmn").read_bytes()}, deployed_by=None)
    instance = api.start_instance("qingjia", starter_id=org.drafter.id, data={})
    document = qianbao(org, "关于调整值班安排的签报", instance_id=instance.id)
    db.session.commit()
    task = api.open_tasks_for([instance.id])[instance.id][0]
    logged_in(client, "drafter")
    page = client.get("/gongwen/qianbao").get_data(as_text=True)
    assert f'data-document-id="{document.id}"' in page
    assert f'class="gw-step">{task.name}</td>' in page
    assert f'href="/workbench/instances/{instance.id}"' in page
    detail = client.get(f"/gongwen/qianbao/{document.id}").get_data(as_text=True)
    assert f'href="/workbench/instances/{instance.id}"' in detail and task.name in detail
    nav = client.get("/").get_data(as_text=True)
    assert 'href="/gongwen/qianbao"' in nav  # 签报管理 is no longer a disabled item
