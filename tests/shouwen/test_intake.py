"""The external intake API: a signed package from an allowed address lands in the recipient
unit's 收文箱 and starts the same 收文 process; every refusal leaves nothing half-filed."""

from __future__ import annotations

import dataclasses
import json
import time
from typing import Any

import pytest
from sqlalchemy import func, select

from engine import api
from engine.runtime.wait_models import EngineMessage
from services.audit.models import AuditEvent
from services.config import ConfigError, current_settings, install, load_settings
from services.db import db
from services.gongwen import exchange, intake
from services.gongwen.exchange_models import IncomingRecord
from services.gongwen.intake_models import IntakeReceipt
from services.gongwen.models import DocumentFile, GongwenDocument
from tests.auth.helpers import login
from tests.files.helpers import zip_of
from tests.gongwen.fawen_helpers import PASSWORD
from tests.shouwen.helpers import open_tasks, registrar, shouwen_instances

URL = "/api/v1/intake/packages"
SECRET = "dzzw-shared-secret-" + "s" * 32
OTHER_SECRET = "other-shared-secret-" + "o" * 32
ALLOWED_IP = "10.8.0.15"
BODY_PDF = b"%PDF-1.7 external sealed document"
FILED = (GongwenDocument, DocumentFile, IncomingRecord, IntakeReceipt, EngineMessage)


@pytest.fixture
def senders(city) -> None:
    """Two external senders: 电子政务中心 from 10.8.0.0/16, another system from one address."""
    raw = f"dzzw={SECRET}@10.8.0.0/16,::1;other={OTHER_SECRET}@192.168.5.9"
    install(dataclasses.replace(current_settings(), intake_senders=raw, attachment_max_mb=1))


def metadata(**overrides: Any) -> dict[str, Any]:
    values = {
        "from_unit": "省电子政务中心",
        "doc_number": "省政办发〔2025〕12号",
        "title": "关于做好政务信息报送工作的通知",
        "doc_type": "通知",
        "secrecy": "",
        "urgency": "加急",
        "copies": 2,
        "issued_date": "2025-09-01",
        "recipient_unit": "czj",
    }
    values.update(overrides)
    return {k: v for k, v in values.items() if v is not None}


def encode(meta: Any, files: dict[str, list[tuple[str, bytes]]]) -> tuple[bytes, str]:
    """A multipart body as a client would build it (the bytes the sender signs)."""
    boundary = "oa-intake-boundary-7f3a"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="metadata"\r\n'
        f"Content-Type: application/json\r\n\r\n".encode()
        + json.dumps(meta, ensure_ascii=False).encode()
        + b"\r\n"
    ]
    for field, items in files.items():
        for name, content in items:
            head = (
                f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; '
                f'filename="{name}"\r\nContent-Type: application/octet-stream\r\n\r\n'
            )
            parts.append(head.encode() + content + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def push(
    client,
    meta: Any = None,
    *,
    files: dict[str, list[tuple[str, bytes]]] | None = None,
    sender: str = "dzzw",
    secret: str = SECRET,
    ip: str = ALLOWED_IP,
    timestamp: int | None = None,
    tamper: bool = False,
):
    files = {"body": [("正文.pdf", BODY_PDF)]} if files is None else files
    data, content_type = encode(metadata() if meta is None else meta, files)
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    headers = {
        "X-OA-Sender": sender,
        "X-OA-Timestamp": stamp,
        "X-OA-Signature": intake.signature(secret, sender, stamp, data),
        "Content-Type": content_type,
    }
    if tamper:
        data = data.replace("关于做好".encode(), "关于抓好".encode())
    return client.post(URL, data=data, headers=headers, environ_base={"REMOTE_ADDR": ip})


def counts() -> dict[str, int]:
    return {m.__name__: db.session.scalar(select(func.count()).select_from(m)) for m in FILED}


def audit_actions() -> list[tuple[str, str]]:
    rows = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action.like("gongwen.intake%")).order_by(AuditEvent.seq)
    )
    return [(row.action, row.result) for row in rows]


def test_accepted_package_lands_in_the_recipient_inbox_and_starts_shouwen(
    city, senders, client
) -> None:
    attachment = ("附件1.pdf", b"%PDF-1.4 attachment one")
    response = push(client, files={"body": [("正文.pdf", BODY_PDF)], "attachments": [attachment]})
    assert response.status_code == 201, response.get_json()
    receipt = response.get_json()
    assert receipt["recipient_unit"] == "czj" and receipt["duplicate"] is False
    czj = city.units["czj"]
    (record,) = exchange.inbox(czj.id)
    assert record.id == receipt["record_id"] and record.status == "已送达"
    assert exchange.may_use_inbox(registrar(czj), czj.id)
    assert (record.from_unit, record.from_doc_number) == ("省电子政务中心", "省政办发〔2025〕12号")
    document = record.document
    assert (document.direction, document.unit_id, document.urgency) == ("in", czj.id, "urgent")
    assert document.issued_date.isoformat() == "2025-09-01" and document.copies == 2
    stored = db.session.scalars(
        select(DocumentFile)
        .where(DocumentFile.document_id == document.id)
        .order_by(DocumentFile.id)
    )
    assert [(f.kind, f.content) for f in stored] == [
        ("sealed_pdf", BODY_PDF),
        ("attachment", attachment[1]),
    ]
    assert exchange.inbox(city.units["rsj"].id) == []
    assert api.deliver_messages(worker_id="w1") == 1
    (instance,) = shouwen_instances()
    db.session.refresh(record)
    assert record.instance_id == instance.id and instance.starter_unit_id == czj.id
    (task,) = open_tasks(instance.id)
    assert task.name == "签收" and task.assignee_id == registrar(czj).id
    assert audit_actions() == [("gongwen.intake_accepted", "success")]


def test_resent_package_returns_the_same_receipt(city, senders, client) -> None:
    first = push(client).get_json()
    before = counts()
    again = push(client)
    assert again.status_code == 200
    assert again.get_json()["id"] == first["id"] and again.get_json()["duplicate"] is True
    assert counts() == before
    other_body = push(client, files={"body": [("正文.pdf", b"%PDF-1.7 another text")]})
    assert other_body.status_code == 409
    assert other_body.get_json()["error"]["code"] == "doc_number_taken"
    assert counts() == before


def refused_cases() -> dict[str, tuple[dict[str, Any], int, str]]:
    big = b"%PDF-1.7 " + b"0" * (1024 * 1024)
    return {
        "bad_signature": ({"tamper": True}, 401, "bad_signature"),
        "wrong_secret": ({"secret": OTHER_SECRET}, 401, "bad_signature"),
        "unknown_sender": ({"sender": "nobody"}, 401, "bad_signature"),
        "replayed_too_late": ({"timestamp": int(time.time()) - 301}, 401, "stale_timestamp"),
        "from_the_future": ({"timestamp": int(time.time()) + 400}, 401, "stale_timestamp"),
        "ip_not_allowed": ({"ip": "10.9.0.1"}, 403, "ip_not_allowed"),
        "other_senders_ip": ({"ip": "192.168.5.9"}, 403, "ip_not_allowed"),
        "missing_title": ({"meta": metadata(title=None)}, 422, "validation"),
        "unknown_unit": ({"meta": metadata(recipient_unit="nowhere")}, 422, "validation"),
        "bad_urgency": ({"meta": metadata(urgency="马上")}, 422, "validation"),
        "metadata_not_object": ({"meta": ["x"]}, 422, "validation"),
        "no_body": ({"files": {}}, 422, "validation"),
        "exe_as_body": ({"files": {"body": [("正文.pdf", b"MZ\x90\x00")]}}, 422, "validation"),
        "oversized_body": ({"files": {"body": [("正文.pdf", big)]}}, 413, "too_large"),
        "oversized_attachment": (
            {"files": {"body": [("正文.pdf", BODY_PDF)], "attachments": [("大.pdf", big)]}},
            413,
            "too_large",
        ),
    }


@pytest.mark.parametrize("case", list(refused_cases()))
def test_refused_package_files_nothing(city, senders, client, case: str) -> None:
    kwargs, status, code = refused_cases()[case]
    before = counts()
    response = push(client, **kwargs)
    assert response.status_code == status, response.get_json()
    error = response.get_json()["error"]
    assert error["code"] == code and error["message"]
    assert counts() == before
    assert exchange.inbox(city.units["czj"].id) == []
    assert audit_actions() == [("gongwen.intake_refused", "failure")]
    assert SECRET not in response.get_data(as_text=True)


def test_missing_fields_are_named_in_chinese(city, senders, client) -> None:
    response = push(client, meta=metadata(title=None, doc_number="", issued_date="2025-13-40"))
    errors = response.get_json()["error"]["errors"]
    assert errors["title"] == "请填写标题" and errors["doc_number"] == "请填写来文文号"
    assert "日期" in errors["issued_date"]


def test_a_proxy_hop_is_resolved_only_when_configured(city, senders, client) -> None:
    forwarded = {"X-Forwarded-For": ALLOWED_IP}
    data, content_type = encode(metadata(), {"body": [("正文.pdf", BODY_PDF)]})
    stamp = str(int(time.time()))
    headers = {
        "X-OA-Sender": "dzzw",
        "X-OA-Timestamp": stamp,
        "X-OA-Signature": intake.signature(SECRET, "dzzw", stamp, data),
        "Content-Type": content_type,
        **forwarded,
    }
    response = client.post(URL, data=data, headers=headers, environ_base={"REMOTE_ADDR": "1.2.3.4"})
    assert response.status_code == 403  # the header is not trusted without OA_TRUSTED_PROXY_COUNT


@pytest.mark.parametrize(
    "raw",
    [
        "dzzw=short@10.0.0.1",
        f"dzzw={SECRET}@",
        f"dzzw={SECRET}@10.0.0.300",
        f"bad code={SECRET}@10.0.0.1",
        f"dzzw={SECRET}@10.0.0.1;dzzw={SECRET}@10.0.0.2",
    ],
)
def test_malformed_sender_settings_stop_start_up_without_the_secret(tmp_path, raw) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(environ={}, var_dir=tmp_path, intake_senders=raw)
    assert SECRET not in str(caught.value)


def test_sender_secrets_stay_out_of_repr(city, senders) -> None:
    assert SECRET not in repr(current_settings())
    assert SECRET not in repr(intake.senders())


def test_a_request_over_the_upload_limit_is_refused_whole(app, city, senders, client) -> None:
    app.config["MAX_CONTENT_LENGTH"] = 64 * 1024
    before = counts()
    response = push(client, files={"body": [("正文.pdf", b"%PDF-1.7 " + b"1" * 70 * 1024)]})
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "too_large"
    assert counts() == before
    assert audit_actions() == [("gongwen.intake_refused", "failure")]


def test_an_ofd_body_is_accepted_and_served_as_ofd(city, senders, client) -> None:
    ofd = zip_of("OFD.xml", "Doc_0/Document.xml")
    not_ofd = zip_of("mimetype", "content.xml")  # a zip without OFD.xml at its root
    refused = push(client, metadata(doc_number="省政办发〔2025〕13号"),
                   files={"body": [("正文.ofd", not_ofd)]})  # fmt: skip
    assert refused.status_code == 422 and "body" in refused.get_json()["error"]["errors"]
    response = push(client, files={"body": [("正文.ofd", ofd)]})
    assert response.status_code == 201, response.get_json()
    record = exchange.get_record(response.get_json()["record_id"])
    (stored,) = db.session.scalars(
        select(DocumentFile).where(DocumentFile.document_id == record.document_id)
    )
    assert (stored.kind, stored.filename, stored.content) == ("sealed_pdf", "正文.ofd", ofd)
    login(client, registrar(city.units["czj"]).username, PASSWORD)
    download = client.get(f"/shouwen/{record.id}/files/{stored.id}")
    assert download.status_code == 200 and download.mimetype == "application/ofd"
    assert download.data == ofd
