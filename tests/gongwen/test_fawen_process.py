"""The 发文 process end to end through engine.api, with the demo city's 市教育局 people.

拟稿 -> 部门核稿 -> 会签 -> 办公室核稿 -> 分管领导审核 (-> 主要负责人签发) -> 复核 -> 登记编号 ->
套红排版 -> 用印 -> 分发 -> 归档, with the 请示 rules, 退回, the DMN route and the deadlines.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from engine import api, gongwen_services
from engine.runtime.models import InstanceEvent
from engine.runtime.wait_models import EngineMessage
from services import clock
from services.archive.service import record_for_document
from services.config import ConfigError
from services.db import db
from services.errors import Forbidden, ValidationFailed
from services.gongwen import deadlines, distribution, documents
from services.gongwen.models import DocumentFile, GongwenDocument
from services.notify.models import Notification
from services.seal.verify import verify_pdf
from tests.gongwen.fawen_helpers import (
    City,
    act,
    draft_data,
    incidents,
    instance_data,
    issue,
    load_city,
    open_tasks,
    opinion,
    review_and_sign,
    sign,
    start,
    task_for,
)


@pytest.fixture
def city(app) -> City:
    return load_city()


def document_of(instance_id: int) -> GongwenDocument:
    found = documents.document_for_instance(instance_id)
    assert found is not None
    db.session.refresh(found)
    return found


def files_of(document_id: int, kind: str) -> list[DocumentFile]:
    return list(
        db.session.scalars(
            select(DocumentFile).where(
                DocumentFile.document_id == document_id, DocumentFile.kind == kind
            )
        )
    )


def year() -> int:
    return documents.beijing_today().year


def qingshi(city: City, **overrides) -> dict:
    chosen = [city.departments[n].id for n in ("职业与成人教育科", "人事科")]
    values = {
        "doc_type": "请示",
        "title": "江城市教育局关于申请校园安全专项经费的请示",
        "main_units": [city.units["zf"].id],
        "copy_units": [],
        "copy_external": [],
        "signer_id": city.user("chief").id,
        "huiqian_chosen": chosen,
    }
    return draft_data(city, **(values | overrides))


def test_qingshi_needs_one_main_recipient_and_a_signer(city) -> None:
    instance_id = start(city)
    clerk = city.user("clerk")
    two_mains = [city.units["zf"].id, city.units["czj"].id]
    unsigned = qingshi(city, main_units=two_mains)
    del unsigned["signer_id"]
    act(instance_id, clerk, unsigned, "拟稿")

    task = task_for(instance_id, clerk)
    assert task.name == "拟稿"
    result = instance_data(instance_id)["fawen"]
    assert result["ok"] is False
    assert result["errors"] == {
        "main_units": "请示应当一文一事，只能主送一个机关",
        "signer_id": "上行文（请示、报告）签发前必须确定签发人",
    }
    act(instance_id, clerk, qingshi(city), "拟稿")
    assert [t.name for t in open_tasks(instance_id)] == ["部门核稿"]
    assert document_of(instance_id).status == "reviewing"


def test_qingshi_is_countersigned_and_signed_by_the_principal(city) -> None:
    instance_id = start(city)
    clerk, depthead = city.user("clerk"), city.user("depthead")
    officedir, chief = city.user("officedir"), city.user("chief")
    act(instance_id, clerk, qingshi(city), "拟稿")
    act(instance_id, depthead, {"dept_review_opinion": opinion(depthead, "同意")}, "部门核稿")

    # 会签: two chosen departments plus 计划财务科 from the DMN (the title mentions 经费).
    signers = [city.head_of(n) for n in ("职业与成人教育科", "人事科", "计划财务科")]
    tasks = open_tasks(instance_id)
    assert sorted(t.assignee_id for t in tasks) == sorted(u.id for u in signers)
    assert {t.name for t in tasks} == {"部门会签"}
    for signer in signers:
        act(instance_id, signer, {"huiqian_opinion": opinion(signer, f"{signer.name}会签同意")})
    collected = instance_data(instance_id)["huiqian_opinions"]
    texts = [entry["text"] for entries in collected for entry in entries]
    assert sorted(texts) == sorted(f"{u.name}会签同意" for u in signers)

    office = {"format_ok": True, "office_review_opinion": opinion(officedir, "格式无误")}
    act(instance_id, officedir, office, "办公室核稿")
    sign(city, instance_id, "leader", "分管领导审核")
    # The DMN routes a 请示 to the 主要负责人 after the 分管领导.
    assert task_for(instance_id, chief).name == "主要负责人签发"
    sign(city, instance_id, "chief", "主要负责人签发")
    act(instance_id, officedir, {"substantive_change": False}, "复核")
    issue(city, instance_id)

    assert api.get_instance(instance_id).status == "completed", incidents(instance_id)
    document = document_of(instance_id)
    assert (document.status, document.signer_id) == ("archived", chief.id)
    assert document.doc_number == f"江教发〔{year()}〕1号"
    # 版记: printed by the unit's office on the day of 套红 (the drafter named neither).
    assert document.printing_unit == f"{document.unit.name}办公室"
    assert document.printed_date is not None
    sealed = files_of(document.id, "sealed_pdf")
    assert len(sealed) == 1 and verify_pdf(sealed[0].content).valid
    rows = distribution.distributions(document.id)
    assert [(r.recipient_name, r.kind, r.status) for r in rows] == [
        ("江城市人民政府", "主送", "已送达")
    ]
    record = record_for_document(document.id)
    assert record is not None
    assert record.archive_code == f"J021-WS·{year()}-Y-JJK-0001"


def test_send_back_with_a_reason_from_a_step_with_deadline_timers(city) -> None:
    instance_id = start(city)
    clerk, leader = city.user("clerk"), city.user("leader")
    act(instance_id, clerk, draft_data(city), "拟稿")
    depthead, officedir = city.user("depthead"), city.user("officedir")
    act(instance_id, depthead, {"dept_review_opinion": opinion(depthead, "同意")}, "部门核稿")
    office = {"format_ok": True, "office_review_opinion": opinion(officedir, "格式无误")}
    act(instance_id, officedir, office, "办公室核稿")

    leader_task = task_for(instance_id, leader)
    api.send_back(
        leader_task.id, actor_id=leader.id, target_task_spec="draft", reason="请补充经费测算"
    )
    db.session.commit()
    assert task_for(instance_id, clerk).name == "拟稿"
    assert instance_data(instance_id)["title"] == draft_data(city)["title"]  # form data restored
    event = db.session.scalars(
        select(InstanceEvent).where(
            InstanceEvent.instance_id == instance_id, InstanceEvent.kind == "task_sent_back"
        )
    ).one()
    assert (event.data["target"], event.data["reason"]) == ("draft", "请补充经费测算")
    # Resubmitted, it runs through 核稿 again (the 会签 rule adds 计划财务科 for 经费).
    act(instance_id, clerk, draft_data(city, keywords="经费"), "拟稿")
    assert task_for(instance_id, depthead).name == "部门核稿"


def run_han(city: City, title: str) -> GongwenDocument:
    instance_id = start(city)
    act(instance_id, city.user("clerk"), draft_data(city, title=title), "拟稿")
    review_and_sign(city, instance_id, principal=False)
    issue(city, instance_id)
    assert api.get_instance(instance_id).status == "completed", incidents(instance_id)
    return document_of(instance_id)


def test_han_is_signed_by_the_leader_and_distributed_to_every_recipient(city) -> None:
    first = run_han(city, "江城市教育局关于商请支持校园安全设施建设的函")
    second = run_han(city, "江城市教育局关于商请协助开展校园安全宣传的函")

    assert first.signer_id == city.user("leader").id
    assert [first.doc_number, second.doc_number] == [
        f"江教函〔{year()}〕1号",
        f"江教函〔{year()}〕2号",
    ]
    rows = distribution.distributions(first.id)
    czj, rsj = city.units["czj"], city.units["rsj"]
    assert [(r.unit_id, r.recipient_name, r.kind, r.status) for r in rows] == [
        (czj.id, czj.name, "主送", "已送达"),
        (rsj.id, rsj.name, "抄送", "已送达"),
        (None, "江城市教育基金会", "抄送", "待寄送"),
    ]
    assert rows[0].delivered_at is not None and rows[2].delivered_at is None
    assert [r.recipient_name for r in distribution.mailing_list(first.id)] == ["江城市教育基金会"]
    messages = {m.id: m for m in db.session.scalars(select(EngineMessage))}
    for row in rows[:2]:
        message = messages[row.message_id]
        assert (message.name, message.correlation) == ("gongwen.received", {"unit_id": row.unit_id})
        assert message.payload["document_id"] == first.id
    assert len(messages) == 4  # two platform recipients per document
    assert files_of(first.id, "redhead_docx") and files_of(first.id, "sheet_pdf")
    record = record_for_document(second.id)
    assert record is not None and record.archive_code == f"J021-WS·{year()}-D10-JJK-0002"


def test_substantive_change_after_signoff_goes_back_to_the_signer(city) -> None:
    instance_id = start(city)
    officedir = city.user("officedir")
    act(instance_id, city.user("clerk"), draft_data(city), "拟稿")
    depthead = city.user("depthead")
    act(instance_id, depthead, {"dept_review_opinion": opinion(depthead, "同意")}, "部门核稿")
    office = {"format_ok": True, "office_review_opinion": opinion(officedir, "格式无误")}
    act(instance_id, officedir, office, "办公室核稿")
    sign(city, instance_id, "leader", "分管领导审核")
    change = {"substantive_change": True, "recheck_note": "第二条内容有调整"}
    act(instance_id, officedir, change, "复核")
    assert task_for(instance_id, city.user("leader")).name == "分管领导审核"


def test_seal_is_refused_outside_the_yongyin_step(city) -> None:
    instance_id = start(city)
    act(instance_id, city.user("clerk"), draft_data(city), "拟稿")
    review_and_sign(city, instance_id, principal=False)
    registrar = city.user("registrar")
    act(instance_id, registrar, {"register_confirm": True}, "登记编号")
    act(instance_id, registrar, {"typeset_confirm": True}, "套红排版")
    document = document_of(instance_id)
    # Called right after 套红排版 (as a misplaced service task would be), the policy refuses.
    with pytest.raises(Forbidden, match="只能在“用印”环节使用印章，当前环节为“套红排版”"):
        gongwen_services.apply_seal(document.id, context={"instance_id": instance_id})
    assert files_of(document.id, "sealed_pdf") == []


def test_draft_form_is_validated_by_the_engine(city) -> None:
    instance_id = start(city)
    clerk = city.user("clerk")
    bad = draft_data(city, doc_type="公函", copies=0)
    with pytest.raises(ValidationFailed) as caught:
        api.complete_task(task_for(instance_id, clerk).id, actor_id=clerk.id, data=bad)
    assert set(caught.value.errors) == {"doc_type", "copies"}


def test_reminder_before_and_escalation_at_the_deadline(city, frozen_clock) -> None:
    instance_id = start(city)
    depthead = city.user("depthead")
    draft = task_for(instance_id, city.user("clerk"))
    # Until the drafter says otherwise a 发文 is 平件: 3 days for the step.
    assert clock.as_utc(draft.due_at) == clock.as_utc(draft.created_at) + timedelta(days=3)
    act(instance_id, city.user("clerk"), draft_data(city, urgency="very_urgent"), "拟稿")
    review = task_for(instance_id, depthead)
    assert review.name == "部门核稿"
    # The inbox's 办理期限 is the step deadline of the 紧急程度, like the timers below.
    assert clock.as_utc(review.due_at) == clock.as_utc(review.created_at) + timedelta(hours=4)

    # 特急: 4 hours per step, reminded one hour before.
    frozen_clock.advance(hours=2, minutes=59)
    assert api.fire_due_timers(worker_id="t") == 0
    frozen_clock.advance(minutes=1)
    assert api.fire_due_timers(worker_id="t") == 1
    assert notes() == [(depthead.id, "remind")]
    frozen_clock.advance(hours=1)
    assert api.fire_due_timers(worker_id="t") == 1
    office = {city.user("officedir").id, city.user("registrar").id}
    assert {uid for uid, kind in notes() if kind == "escalate"} == office
    assert notes().count((depthead.id, "remind")) == 2
    assert task_for(instance_id, depthead).name == "部门核稿"  # still open


def notes() -> list[tuple[int, str]]:
    rows = db.session.scalars(select(Notification).order_by(Notification.id))
    return [(n.user_id, n.category) for n in rows]


def test_deadline_setting_is_read_and_checked(app) -> None:
    table = deadlines.deadline_table()
    assert table["特急"] == {"remind": "PT3H", "expire": "PT4H"}
    assert table["normal"] == {"remind": "P2D", "expire": "P3D"}
    assert deadlines.parse_deadlines("特急=PT2H/PT30M;加急=P1D/PT1H;平件=P5D/P1DT12H")["平件"] == (
        timedelta(days=5),
        timedelta(days=1, hours=12),
    )
    with pytest.raises(ConfigError, match="缺少紧急程度：平件"):
        deadlines.parse_deadlines("特急=PT2H/PT1H;加急=P1D/PT1H")
    with pytest.raises(ConfigError, match="提前提醒应短于办理期限"):
        deadlines.parse_deadlines("特急=PT2H/PT3H;加急=P1D/PT1H;平件=P3D/P1D")
