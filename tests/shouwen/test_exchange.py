"""公文交换: a 发文 分发 to units starts one 收文 per unit, exactly once; 签收 and 退文 reach the
sender; the 收文 belongs to the receiving unit."""

from __future__ import annotations

from engine import api
from services.db import db
from services.gongwen import exchange
from services.gongwen.models import DocumentFile
from tests.shouwen.helpers import (
    SEALED,
    do,
    issue_to,
    open_tasks,
    record_of,
    registrar,
    send,
    shouwen_instances,
)

UNITS = ["czj", "rsj", "wjw"]


def test_three_recipients_get_exactly_three_shouwen(city) -> None:
    issued = issue_to(city, UNITS)
    send(city, issued)
    assert api.deliver_messages(worker_id="w1") == 3
    assert api.deliver_messages(worker_id="w1") == 0  # delivered once
    instances = shouwen_instances()
    assert len(instances) == 3
    for code, instance in zip(UNITS, instances, strict=True):
        unit = city.units[code]
        record = record_of(unit)
        assert record.instance_id == instance.id and record.status == "已送达"
        assert instance.starter_unit_id == unit.id
        assert instance.starter_id == registrar(unit).id
        assert record.document.direction == "in" and record.document.unit_id == unit.id
        assert record.from_unit == city.unit.name and record.from_doc_number == "江教发〔2025〕9号"
        (copy,) = db.session.query(DocumentFile).filter_by(document_id=record.document_id).all()
        assert (copy.kind, copy.content) == ("sealed_pdf", SEALED)
        (task,) = open_tasks(instance.id)
        assert task.name == "签收" and task.assignee_id == registrar(unit).id


def test_a_second_message_for_the_same_copy_files_nothing(city) -> None:
    issued = issue_to(city, UNITS[:1])
    send(city, issued)
    send(city, issued)  # the same 分发 row sent twice
    assert api.deliver_messages(worker_id="w1") == 2
    instances = shouwen_instances()
    assert [i.status for i in instances] == ["running", "completed"]
    czj = city.units["czj"]
    assert {i.starter_unit_id for i in instances} == {czj.id}  # never left with the sender
    assert len(exchange.inbox(city.units["czj"].id)) == 1


def test_sign_and_return_are_seen_by_the_sender(city) -> None:
    issued = issue_to(city, UNITS)
    send(city, issued)
    api.deliver_messages(worker_id="w1")
    czj, rsj = city.units["czj"], city.units["rsj"]
    do(record_of(czj).instance_id, registrar(czj), "签收", {"sign_action": "签收"})
    reason = "本局不是该项工作的主管部门，请改送市教育局相关科室"
    do(
        record_of(rsj).instance_id,
        registrar(rsj),
        "签收",
        {"sign_action": "退文", "sign_return_reason": reason},
    )
    statuses = exchange.recipient_statuses(issued.document.id)
    assert [(s.name, s.status) for s in statuses] == [
        (czj.name, "已签收"),
        (rsj.name, "已退文"),
        (city.units["wjw"].name, "已送达"),
    ]
    assert statuses[0].signed_by == registrar(czj).name and statuses[0].signed_at is not None
    assert statuses[1].return_reason == reason and statuses[1].returned_at is not None
    assert [r.status for r in issued.rows] == ["已签收", "已退文", "已送达"]
    returned = shouwen_instances()[1]
    assert returned.status == "completed"
