"""归档 of a 收文 as one 件 (DA/T 22: 处理单 + 来文 + 附件 + 流转记录) with a 档号 of the receiving
unit's fonds, run through processes/shouwen.bpmn to the end; and the 件号 sequence it shares
with the unit's 发文."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

import pytest
from flask import Flask
from sqlalchemy import select, text

from engine import api
from services.archive import service
from services.archive.models import ArchiveCounter, ArchiveRecord
from services.db import db
from services.errors import Conflict, ValidationFailed
from services.gongwen import documents, exchange
from services.gongwen.exchange_models import IncomingRecord
from services.org.models import Department, Unit, User
from tests.archive.helpers import add_file, make_issued_of
from tests.gongwen.fawen_helpers import City, load_city
from tests.shouwen.helpers import (
    SEALED,
    departments,
    do,
    head,
    issue_to,
    leader,
    office_director,
    record_of,
    registrar,
    send,
)
from tests.shouwen.test_process import sign_and_register

ATTACHMENT = "附件 开学工作检查表.xlsx"


@pytest.fixture
def city(app: Flask) -> City:
    return load_city()


@dataclass
class Handled:
    instance_id: int
    record: IncomingRecord
    host: Department


def handled_to_finish(city: City) -> Handled:
    """A 通知 of 市教育局 with one 附件, received by 市财政局 and handled up to 办结; the 归档
    task is open."""
    czj = city.units["czj"]
    issued = issue_to(city, ["czj"])
    add_file(issued.document, "attachment", ATTACHMENT, b"xlsx bytes of the checklist")
    send(city, issued)
    api.deliver_messages(worker_id="w1")
    instance_id = sign_and_register(czj, need_reply=False)
    director = office_director(czj)
    do(instance_id, director, "初审", {"review_accept": True})
    do(instance_id, director, "拟办", {"proposal": "建议预算科办理"})
    host = departments(czj)[0]
    instruction = {"instruction": "同意", "host_department": host.id, "readers": []}
    do(instance_id, leader(czj), "领导批示", instruction)
    do(instance_id, head(host), "主办部门办理", {"host_feedback": "已布置"})
    do(instance_id, director, "办结", {"result": "已全部落实"})
    return Handled(instance_id, record_of(czj), host)


def archive_through_process(city: City, handled: Handled) -> ArchiveRecord:
    do(handled.instance_id, registrar(city.units["czj"]), "归档", {"archive_confirm": True})
    record = service.record_for_document(handled.record.document_id)
    assert record is not None
    return record


def test_shouwen_is_filed_as_one_item_through_the_process(city: City) -> None:
    handled = handled_to_finish(city)
    record = archive_through_process(city, handled)
    year = documents.beijing_today().year
    # 市财政局's fonds, 办结 year, 收办 -> 30 years (R10), 机构 = the 主办部门 预算科.
    assert record.archive_code == f"J027-WS·{year}-D30-YSK-0001"
    assert service.ARCHIVE_CODE_PATTERN.match(record.archive_code)
    assert (record.fonds_code, record.retention, record.org_code, record.item_no) == (
        "J027",
        "D30",
        "YSK",
        1,
    )
    items = record.items
    assert [i.kind for i in items] == [
        "processing_sheet",
        "received_doc",
        "attachment",
        "history_json",
    ]
    assert [i.filename for i in items] == [
        "收文处理单.pdf",
        "来文正本.pdf",
        ATTACHMENT,
        "流转记录.json",
    ]
    assert items[0].content.startswith(b"%PDF")
    assert items[1].content == SEALED
    for item in items:
        assert item.sha256 == hashlib.sha256(item.content).hexdigest()
    steps = {event.get("task_name") for event in json.loads(items[-1].content)}
    assert {"签收", "登记", "领导批示", "主办部门办理", "办结", "归档"} <= steps
    # The 收文 is closed: record archived, document archived, process completed.
    incoming = exchange.get_record(handled.record.id)
    db.session.refresh(incoming)
    assert incoming.archived_at is not None and incoming.document.status == "archived"
    assert api.get_instance(handled.instance_id).status == "completed"
    report = api.replay_instance(handled.instance_id)
    assert report.ok, (report.message, report.divergence)


def test_shouwen_metadata_names_the_sender(city: City) -> None:
    handled = handled_to_finish(city)
    record = archive_through_process(city, handled)
    content = record.meta["内容描述"]
    incoming = exchange.get_record(handled.record.id)
    assert content["责任者"] == "江城市教育局" and content["文件编号"] == "江教发〔2025〕9号"
    assert content["收文号"] == incoming.receipt_number and content["公文方向"] == "收文"
    assert content["主送"] == city.units["czj"].name
    assert record.doc_number == "江教发〔2025〕9号"
    assert record.meta["来源"]["立档单位名称"] == city.units["czj"].name
    assert record.meta["保管期限依据"]["条目"] == "R10"
    assert [f["类型"] for f in record.meta["电子属性"]] == [
        "收文处理单",
        "来文正本",
        "附件",
        "流转记录",
    ]


def test_verify_names_a_tampered_item(city: City) -> None:
    record = archive_through_process(city, handled_to_finish(city))
    assert service.verify_record(record.id).ok
    db.session.execute(
        text("UPDATE archive_item SET content = :c WHERE id = :i"),
        {"c": b"%PDF-forged", "i": record.items[1].id},
    )
    db.session.commit()
    check = service.verify_record(record.id)
    assert check.problems == ["第 2 项“来文正本.pdf”的内容与归档时的摘要不符"]


def test_filing_twice_is_refused(city: City) -> None:
    handled = handled_to_finish(city)
    record = archive_through_process(city, handled)
    with pytest.raises(Conflict, match="已归档，不能重复归档"):
        service.archive_document(handled.record.document_id, actor_id=None, history=[])
    assert db.session.scalars(select(ArchiveRecord)).all() == [record]


def test_unfinished_shouwen_is_refused_and_takes_no_number(city: City) -> None:
    czj = city.units["czj"]
    send(city, issue_to(city, ["czj"]))
    api.deliver_messages(worker_id="w1")
    sign_and_register(czj, need_reply=False)
    document_id = record_of(czj).document_id
    with pytest.raises(ValidationFailed, match="尚未办结"):
        service.archive_document(document_id, actor_id=None, history=[])
    assert db.session.scalars(select(ArchiveRecord)).all() == []
    assert db.session.scalars(select(ArchiveCounter)).all() == []


def czj_fawen(city: City, title: str) -> int:
    """An issued 通知 of 市财政局 (30 years, R06) filed now; returns its 件号."""
    unit: Unit = city.units["czj"]
    department = departments(unit)[1]
    drafter: User = head(department)
    document = make_issued_of(
        unit.id, drafter.id, department.id, title, issued_date=documents.beijing_today()
    )
    record = service.archive_document(document.id, actor_id=drafter.id, history=[])
    assert record.archive_code.startswith(f"J027-WS·{record.year}-D30-GKK-")
    return record.item_no


def test_fawen_and_shouwen_of_a_unit_share_the_item_numbers(city: City) -> None:
    handled = handled_to_finish(city)
    first = czj_fawen(city, "江城市财政局关于开展财政资金专项检查的通知")
    db.session.commit()
    shouwen = archive_through_process(city, handled)
    last = czj_fawen(city, "江城市财政局关于加强国库集中支付管理的通知")
    assert (first, shouwen.item_no, last) == (1, 2, 3)
    assert shouwen.archive_code.endswith("-YSK-0002")
    # One counter for (全宗号, 年度, 保管期限), shared by both directions.
    counters = db.session.scalars(select(ArchiveCounter)).all()
    assert [(c.fonds_code, c.retention, c.next_no) for c in counters] == [("J027", "D30", 4)]
