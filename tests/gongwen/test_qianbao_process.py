"""The 签报 process end to end through engine.api, with the demo city's 市教育局 people.

拟稿 -> 部门审核 -> 会签 (reusing gongwen_huiqian) -> 领导批示 -> 办结 -> 归档 with the 签报单
stored; 退回 from 部门审核 to 拟稿 with a reason; the recorded run replays.
"""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from engine import api
from engine.runtime.models import InstanceEvent
from services.archive.service import record_for_document
from services.db import db
from services.gongwen import documents
from services.gongwen.models import DocumentFile, GongwenDocument
from tests.gongwen.fawen_helpers import City, act, incidents, load_city, opinion, task_for

TITLE = "关于申请购置中小学实验室教学设备的签报"
INSTRUCTION = "同意购置，请计划财务科按程序办理采购"


@pytest.fixture
def city(app) -> City:
    return load_city()


def start(city: City) -> int:
    view = api.start_instance("qianbao", starter_id=city.user("clerk").id, data={})
    db.session.commit()
    return view.id


def draft(city: City, **overrides) -> dict:
    data = {
        "title": TITLE,
        "secrecy": "非密",
        "urgency": "normal",
        "huiqian_chosen": [city.departments[n].id for n in ("人事科", "计划财务科")],
        "body_html": "<p>为保障实验教学，拟购置一批实验室教学设备，妥否，请批示。</p>",
        "draft_note": "拟请分管领导批示",
    }
    return data | overrides


def document_of(instance_id: int) -> GongwenDocument:
    found = documents.document_for_instance(instance_id)
    assert found is not None
    db.session.refresh(found)
    return found


def sheet_file(document_id: int, kind: str) -> DocumentFile:
    return db.session.scalars(
        select(DocumentFile).where(
            DocumentFile.document_id == document_id, DocumentFile.kind == kind
        )
    ).one()


def pdf_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    return "".join("".join((page.extract_text() or "").split()) for page in reader.pages)


def test_qianbao_is_countersigned_instructed_finished_and_archived(city) -> None:
    clerk, depthead, leader = city.user("clerk"), city.user("depthead"), city.user("leader")
    instance_id = start(city)
    act(instance_id, clerk, draft(city), "拟稿")
    document = document_of(instance_id)
    assert (document.direction, document.status, document.title) == ("internal", "reviewing", TITLE)
    act(instance_id, depthead, {"dept_review_opinion": opinion(depthead, "同意报批")}, "部门审核")

    # 会签: exactly the two departments the drafter chose, each by its head.
    signers = [city.head_of(n) for n in ("人事科", "计划财务科")]
    for signer in signers:
        act(instance_id, signer, {"huiqian_opinion": opinion(signer, f"{signer.name}会签同意")})
    act(instance_id, leader, {"sign_opinion": opinion(leader, INSTRUCTION)}, "领导批示")
    act(instance_id, clerk, {"result": "已按批示完成采购申报"}, "办结")

    assert api.get_instance(instance_id).status == "completed", incidents(instance_id)
    document = document_of(instance_id)
    assert document.status == "archived"
    # Filed as one 件 (DA/T 22): 签报单 first, its 档号 from the unit's fonds (R07: 签报 30 years).
    record = record_for_document(document.id)
    assert record is not None and record.archive_code.startswith("J021-WS·")
    assert record.retention == "D30" and record.items[0].kind == "qianbao_sheet"
    docx = sheet_file(document.id, "sheet_docx")
    pdf = sheet_file(document.id, "sheet_pdf")
    assert docx.filename.endswith(".docx") and docx.size > 0
    assert pdf.filename.endswith(".pdf") and pdf.content.startswith(b"%PDF")
    text = pdf_text(pdf.content)
    assert TITLE in text and INSTRUCTION in text
    assert "签报" in text
    for signer in signers:
        assert f"{signer.name}会签同意" in text
    report = api.replay_instance(instance_id)
    assert report.ok, (report.message, report.divergence)


def test_qianbao_without_countersign_goes_straight_to_the_leader(city) -> None:
    clerk, depthead, leader = city.user("clerk"), city.user("depthead"), city.user("leader")
    instance_id = start(city)
    act(instance_id, clerk, draft(city, huiqian_chosen=[]), "拟稿")
    act(instance_id, depthead, {"dept_review_opinion": opinion(depthead, "同意")}, "部门审核")
    assert task_for(instance_id, leader).name == "领导批示"


def test_dept_review_sends_back_to_the_drafter_with_a_reason(city) -> None:
    clerk, depthead = city.user("clerk"), city.user("depthead")
    instance_id = start(city)
    act(instance_id, clerk, draft(city), "拟稿")
    review = task_for(instance_id, depthead)
    assert review.name == "部门审核"
    api.send_back(review.id, actor_id=depthead.id, target_task_spec="draft", reason="请补充预算")
    db.session.commit()
    assert task_for(instance_id, clerk).name == "拟稿"
    event = db.session.scalars(
        select(InstanceEvent).where(
            InstanceEvent.instance_id == instance_id, InstanceEvent.kind == "task_sent_back"
        )
    ).one()
    assert (event.data["target"], event.data["reason"]) == ("draft", "请补充预算")
    act(instance_id, clerk, draft(city, title=f"{TITLE}（补充预算）"), "拟稿")
    assert task_for(instance_id, depthead).name == "部门审核"
    assert document_of(instance_id).title == f"{TITLE}（补充预算）"
    report = api.replay_instance(instance_id)
    assert report.ok, (report.message, report.divergence)
