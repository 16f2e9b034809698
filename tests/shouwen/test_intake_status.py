"""The status query of the intake API: an external sender, signing as for a push, learns what
became of its own packages (已送达/已签收/已退文/已办结, when, by whom, why, the 答复) and of no
one else's."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from services.audit.models import AuditEvent
from services.db import db
from services.gongwen.intake_callback_models import IntakeCallback
from tests.shouwen.helpers import office_director, registrar
from tests.shouwen.intake_helpers import (
    OTHER_SECRET,
    handle_to_the_end,
    install_senders,
    metadata,
    push,
    query,
    return_it,
    sign,
    started,
)

DOC_NUMBER = "省政办发〔2025〕12号"


def audit_actions() -> list[tuple[str, str]]:
    query = select(AuditEvent).where(AuditEvent.action.like("gongwen.intake_status%"))
    return [(row.action, row.result) for row in db.session.scalars(query.order_by(AuditEvent.seq))]


@pytest.fixture
def senders(city) -> None:
    install_senders()


def test_a_fresh_package_is_delivered_by_id_and_by_doc_number(city, senders, client) -> None:
    receipt = push(client)
    by_id = query(client, str(receipt["id"]))
    assert by_id.status_code == 200, by_id.get_json()
    status = by_id.get_json()
    assert query(client, DOC_NUMBER).get_json() == status
    assert status["id"] == receipt["id"] and status["record_id"] == receipt["record_id"]
    assert (status["status"], status["doc_number"]) == ("已送达", DOC_NUMBER)
    assert status["recipient_unit"] == "czj"
    assert status["recipient_unit_name"] == city.units["czj"].name
    assert status["received_at"] == receipt["received_at"]
    assert (status["signed"], status["returned"], status["finished"]) == (None, None, None)
    assert status["receipt_number"] is None


def test_signing_and_finishing_show_who_when_the_receipt_number_and_the_reply(
    city, senders, client
) -> None:
    czj = city.units["czj"]
    record = started(push(client))
    sign(czj, record)
    signed = query(client, DOC_NUMBER).get_json()
    clerk = registrar(czj)
    assert signed["status"] == "已签收"
    assert signed["signed"]["by"] == {"unit": czj.name, "role": "收发员", "name": clerk.name}
    assert signed["signed"]["at"].endswith("+00:00") and signed["finished"] is None
    reply = "我局已按通知要求完成部署，报送材料见附件"
    handle_to_the_end(czj, record, reply)
    done = query(client, DOC_NUMBER).get_json()
    assert done["status"] == "已办结" and done["signed"] == signed["signed"]
    assert done["finished"]["reply"] == reply
    director = office_director(czj)  # the 办结 step is the 办公室主任's
    assert done["finished"]["by"] == {
        "unit": czj.name,
        "role": director.position.name,
        "name": director.name,
    }
    assert done["receipt_number"] and done["receipt_number"].startswith("收")
    assert "已落实" not in str(done)  # 办理结果 stays inside the platform
    assert clerk.username not in str(done) and (clerk.mobile or "@@") not in str(done)


def test_a_returned_package_gives_the_reason(city, senders, client) -> None:
    czj = city.units["czj"]
    record = started(push(client))
    reason = "本单位不是该项工作的主管部门，请改送市发展改革委"
    return_it(czj, record, reason)
    status = query(client, DOC_NUMBER).get_json()
    assert status["status"] == "已退文" and status["returned"]["reason"] == reason
    assert status["returned"]["by"]["name"] == registrar(czj).name
    assert status["signed"] is None
    assert db.session.query(IntakeCallback).count() == 0  # no callback URL registered


def test_another_senders_package_is_not_found(city, senders, client) -> None:
    theirs = push(client, metadata(doc_number="某系统发〔2025〕3号"), other=True)
    mine = push(client)
    assert query(client, str(mine["id"])).status_code == 200
    for reference in (str(theirs["id"]), "某系统发〔2025〕3号", "999999", "不存在的文号"):
        response = query(client, reference)
        assert response.status_code == 404, reference
        assert response.get_json()["error"]["code"] == "not_found"
    own = query(client, str(theirs["id"]), sender="other", secret=OTHER_SECRET, ip="192.168.5.9")
    assert own.status_code == 200 and own.get_json()["doc_number"] == "某系统发〔2025〕3号"


@pytest.mark.parametrize(
    ("kwargs", "status", "code"),
    [
        ({"secret": OTHER_SECRET}, 401, "bad_signature"),
        ({"sender": "nobody"}, 401, "bad_signature"),
        ({"signed": "1"}, 401, "bad_signature"),  # a signature of another reference
        ({"ip": "10.9.0.1"}, 403, "ip_not_allowed"),
    ],
    ids=["wrong_secret", "unknown_sender", "other_reference", "ip_not_allowed"],
)
def test_unsigned_or_foreign_queries_are_refused(city, senders, client, kwargs, status, code):
    push(client)
    response = query(client, DOC_NUMBER, **kwargs)
    assert response.status_code == status
    error = response.get_json()["error"]
    assert error["code"] == code and error["message"]
    assert "record_id" not in response.get_json() and "已送达" not in response.get_data(
        as_text=True
    )
    assert audit_actions()[-1] == ("gongwen.intake_status_refused", "failure")


def test_status_queries_are_audited(city, senders, client) -> None:
    receipt = push(client)
    assert query(client, DOC_NUMBER).status_code == 200
    assert query(client, "不存在的文号").status_code == 404
    assert audit_actions()[-2:] == [
        ("gongwen.intake_status_read", "success"),
        ("gongwen.intake_status_refused", "failure"),
    ]
    read = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "gongwen.intake_status_read")
    ).one()
    assert read.object_id == str(receipt["record_id"]) and read.detail["sender"] == "dzzw"
