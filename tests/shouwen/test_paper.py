"""纸质来文登记: the 收发员 registers a paper 来文 with its scans; it lands in the unit's 收文箱,
starts the 收文 process like any delivered copy, and every refusal (another unit, wrong role,
bad or oversized file, missing field) leaves no row behind."""

from __future__ import annotations

import dataclasses
import io
from datetime import date
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from engine import api
from engine.runtime.wait_models import EngineMessage
from services.audit.models import AuditEvent
from services.calendar import days
from services.config import current_settings, install
from services.db import db
from services.gongwen import documents, exchange
from services.gongwen.exchange_models import IncomingRecord
from services.gongwen.models import DocumentFile, GongwenDocument
from services.org import directory
from services.org.models import User
from tests.auth.helpers import csrf_token, login
from tests.files.helpers import OFD, PDF, image_bytes
from tests.gongwen.fawen_helpers import PASSWORD
from tests.shouwen.helpers import do, open_tasks, registrar, shouwen_instances
from tests.shouwen.test_process import register_form

FILED = (GongwenDocument, DocumentFile, IncomingRecord, EngineMessage)
EXE = b"MZ\x90\x00" + bytes(range(256)) * 4


@pytest.fixture
def limited(city) -> None:
    install(dataclasses.replace(current_settings(), attachment_max_mb=1))


def as_user(client: FlaskClient, user: User) -> FlaskClient:
    response = login(client, user.username, PASSWORD)
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    return client


def fields(**overrides: Any) -> dict[str, Any]:
    today = documents.beijing_today()
    values: dict[str, Any] = {
        "from_unit": "江城市第一中学",
        "from_doc_number": "江一中〔2025〕3号",
        "title": "江城市第一中学关于增设教学楼的请示",
        "doc_type": "请示",
        "secrecy": "",
        "urgency": "urgent",
        "copies": "2",
        "received_date": today.isoformat(),
        "deadline": "",
        "category": "请示",
        "receipt_class": "",
    }
    return {k: v for k, v in (values | overrides).items() if v is not None}


def submit(client: FlaskClient, scans=None, attachments=(), **overrides: Any):
    """POST the form; the body is encoded in memory (the test client would spool a large one
    to a temporary file it never closes)."""
    scans = [("扫描件.pdf", PDF)] if scans is None else scans
    data = MultiDict(fields(**overrides))
    for field, files in (("scans", scans), ("attachments", attachments)):
        for name, content in files:
            data.add(field, FileStorage(io.BytesIO(content), filename=name))
    data["csrf_token"] = csrf_token(client, "/shouwen/")
    boundary, body = encode_multipart(data)
    content_type = f"multipart/form-data; boundary={boundary}"
    return client.post("/shouwen/paper", data=body, content_type=content_type)


def counts() -> dict[str, int]:
    return {m.__name__: db.session.scalar(select(func.count()).select_from(m)) for m in FILED}


def test_registrar_registers_a_paper_letter_and_it_is_handled_like_any_other(
    client, city, limited
) -> None:
    czj = city.units["czj"]
    clerk = registrar(czj)
    as_user(client, clerk)
    page = client.get("/shouwen/paper")
    assert page.status_code == 200 and "纸质来文登记" in page.get_data(as_text=True)
    assert "/shouwen/paper" in client.get("/shouwen/").get_data(as_text=True)
    scans = [("第1页.jpg", image_bytes("JPEG")), ("正本.ofd", OFD)]
    response = submit(client, scans=scans, attachments=[("附件.pdf", PDF)])
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    (record,) = exchange.inbox(czj.id)
    assert response.headers["Location"].endswith(f"/shouwen/{record.id}")
    assert (record.status, record.from_unit, record.from_doc_number) == (
        "已送达", "江城市第一中学", "江一中〔2025〕3号",
    )  # fmt: skip
    assert (record.category, record.receipt_class) == ("请示", "收报")  # 请示 -> 收报
    today = documents.beijing_today()
    # 加急: 5 working days on the 工作日历 (not calendar days).
    assert (record.received_date, record.deadline) == (today, days.add_workdays(today, 5))
    document = record.document
    assert (document.direction, document.unit_id, document.doc_type) == ("in", czj.id, "请示")
    assert (document.urgency, document.copies, document.drafter_id) == ("urgent", 2, clerk.id)
    files = select(DocumentFile).where(DocumentFile.document_id == document.id)
    stored = list(db.session.scalars(files.order_by(DocumentFile.id)))
    assert [(f.kind, f.filename) for f in stored] == [
        ("sealed_pdf", "第1页.jpg"), ("sealed_pdf", "正本.ofd"), ("attachment", "附件.pdf"),
    ]  # fmt: skip
    audit = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "gongwen.paper_registered")
    ).one()
    assert (audit.user_id, audit.object_id) == (clerk.id, str(record.id))

    ofd_file = next(f for f in stored if f.filename.endswith(".ofd"))
    download = client.get(f"/shouwen/{record.id}/files/{ofd_file.id}")
    assert download.status_code == 200 and download.mimetype == "application/ofd"
    assert download.data == OFD

    assert api.deliver_messages(worker_id="w1") == 1
    (instance,) = shouwen_instances()
    db.session.refresh(record)
    assert record.instance_id == instance.id and instance.starter_unit_id == czj.id
    assert [t.name for t in open_tasks(instance.id)] == ["签收"]
    do(instance.id, clerk, "签收", {"sign_action": "签收"})
    form = register_form(title=document.title, category="请示", receipt_class="收报")
    do(instance.id, clerk, "登记", form)
    db.session.refresh(record)
    assert record.receipt_number == f"收报〔{date.fromisoformat(form['received_date']).year}〕1号"


def test_the_class_follows_the_category_unless_chosen(client, city) -> None:
    as_user(client, registrar(city.units["czj"]))
    assert submit(client, category="普发件", doc_type="通知").status_code == 302
    assert submit(client, category="普发件", receipt_class="收抄").status_code == 302
    classes = [r.receipt_class for r in reversed(exchange.inbox(city.units["czj"].id))]
    assert classes == ["收办", "收抄"]


REFUSALS = [
    # (form overrides, scans, attachments, field with the message, the message)
    ({"title": ""}, None, (), "title", "请填写标题"),
    ({"from_unit": "  "}, None, (), "from_unit", "请填写来文单位"),
    ({"received_date": "2025-13-01"}, None, (), "received_date", "日期格式应为 YYYY-MM-DD"),
    ({"category": "电报"}, None, (), "category", "类别应为普发件、报告、请示、函件、其他或密件"),
    ({"receipt_class": "收发"}, None, (), "receipt_class", "收文类别应为收报、收抄或收办"),
    ({"secrecy": "特密"}, None, (), "secrecy", "密级应为秘密、机密、绝密或不填"),
    ({"deadline": "2000-01-01"}, None, (), "deadline", "办理期限不能早于收文日期"),
    ({}, [], (), "scans", "请上传来文扫描件（PDF、OFD、JPEG 或 PNG）"),
    ({}, [("程序.pdf", EXE)], (), "scans", "不允许上传文件「程序.pdf」"),
    ({}, [("扫描件.docx", b"PK\x03\x04")], (), "scans", "不允许上传文件"),
    ({}, [("说明.txt", "纸质来文".encode())], (), "scans", "扫描件「说明.txt」应为 PDF"),
    ({}, [("扫描.jpg", PDF)], (), "scans", "与扩展名不符"),
    ({}, [("大.pdf", PDF + b"0" * (1024 * 1024))], (), "scans", "超过 1 MB 的大小限制"),
    ({}, None, [("附件.exe", EXE)], "attachments", "不允许上传文件「附件.exe」"),
]


@pytest.mark.parametrize(("overrides", "scans", "attachments", "field", "message"), REFUSALS)
def test_every_refusal_leaves_nothing(
    client, city, limited, overrides, scans, attachments, field, message
) -> None:
    before = counts()
    as_user(client, registrar(city.units["czj"]))
    response = submit(client, scans=scans, attachments=attachments, **overrides)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert f'id="e-{field}"' in page and message in page
    db.session.expire_all()
    assert counts() == before
    assert (
        db.session.scalar(
            select(func.count()).where(AuditEvent.action == "gongwen.paper_registered")
        )
        == 0
    )


def test_only_the_units_registrar_or_office_director_may_register(client, city) -> None:
    czj, rsj = city.units["czj"], city.units["rsj"]
    before = counts()
    leader = directory.unit_leaders(czj.id)[0]  # holds the 收文箱, but does not register
    as_user(client, leader)
    assert client.get("/shouwen/paper").status_code == 403
    assert submit(client).status_code == 403
    assert "/shouwen/paper" not in client.get("/shouwen/").get_data(as_text=True)
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    as_user(client, registrar(rsj))
    assert submit(client, unit_id=str(czj.id)).status_code == 403  # into another unit
    db.session.expire_all()
    assert counts() == before
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    director = directory.office_director(czj.id)
    assert director is not None
    as_user(client, director)
    assert submit(client).status_code == 302
    assert [r.unit_id for r in exchange.inbox(czj.id)] == [czj.id]
