"""What a 件 holds by direction, at the service level: a paper 收文 with several scans, a
收抄 copy (10 years), a 签报 with its 签报单 first; and the refusals that name the missing part."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flask import Flask
from sqlalchemy import select

from services import clock
from services.archive import service
from services.db import db
from services.errors import ValidationFailed
from services.gongwen import documents, versions
from services.gongwen.exchange_models import FINISHED, IncomingRecord
from services.gongwen.models import DocumentFile, GongwenDocument
from tests.archive.helpers import add_file, blank_pdf
from tests.convert.helpers import make_docx
from tests.org.factories import make_department, make_unit, make_user

FINISHED_AT = datetime(2025, 12, 31, 17, 0, tzinfo=UTC)  # 2026-01-01 01:00 in Beijing


def incoming(
    receipt_class: str = "收办", *, scans: int = 1, finished: bool = True
) -> GongwenDocument:
    """A 收文 of 市教育局 (fonds J021) with its 处理单 and ``scans`` scans, 办结 on New Year's Eve
    (UTC) — New Year's Day in Beijing."""
    unit = make_unit("江城市教育局", code="jyj", short_name="市教育局")
    clerk = make_user("jyj-clerk", unit=unit)
    document = documents.create_document(
        direction="in",
        unit_id=unit.id,
        doc_type="通知",
        title="关于做好冬季校园安全工作的通知",
        drafter_id=clerk.id,
        status="received",
        doc_number="江政办发〔2025〕30号",
    )
    add_file(document, "sheet_pdf", "收文处理单.pdf", blank_pdf())
    for n in range(1, scans + 1):
        suffix = "pdf" if n == 1 else "jpg"
        add_file(document, "sealed_pdf", f"扫描件{n}.{suffix}", f"scan {n}".encode())
    add_file(document, "attachment", "附件.docx", make_docx("附件"))
    db.session.add(
        IncomingRecord(
            document_id=document.id,
            unit_id=unit.id,
            status=FINISHED if finished else "已签收",
            from_unit="江城市人民政府办公室",
            from_doc_number="江政办发〔2025〕30号",
            category="普发件",
            receipt_class=receipt_class,
            finished_at=FINISHED_AT if finished else None,
        )
    )
    db.session.flush()
    return document


def test_paper_shouwen_files_every_scan_in_the_finish_year(app: Flask) -> None:
    record = service.archive_document(incoming(scans=2).id, actor_id=None, history=[])
    assert [(i.kind, i.filename) for i in record.items] == [
        ("processing_sheet", "收文处理单.pdf"),
        ("received_doc", "来文正本（1）.pdf"),
        ("received_doc", "来文正本（2）.jpg"),
        ("attachment", "附件.docx"),
        ("history_json", "流转记录.json"),
    ]
    # 办结 on 1 January (Beijing): filed in 2026; no 主办部门 given -> the default 机构代码.
    assert record.archive_code == "J021-WS·2026-D30-BGS-0001"


def test_copied_shouwen_is_kept_ten_years(app: Flask) -> None:
    record = service.archive_document(incoming("收抄").id, actor_id=None, history=[])
    assert record.retention == "D10" and record.meta["保管期限依据"]["条目"] == "R11"


@pytest.mark.parametrize(
    ("remove", "words"),
    [("sheet_pdf", "尚未生成收文处理单"), ("sealed_pdf", "没有来文正本")],
)
def test_shouwen_missing_a_part_is_refused(app: Flask, remove: str, words: str) -> None:
    document = incoming()
    for file in list(document_files(document, remove)):
        db.session.delete(file)
    db.session.flush()
    with pytest.raises(ValidationFailed, match=words):
        service.archive_document(document.id, actor_id=None, history=[])


def document_files(document: GongwenDocument, kind: str) -> list[DocumentFile]:
    return list(
        db.session.scalars(
            select(DocumentFile).where(
                DocumentFile.document_id == document.id, DocumentFile.kind == kind
            )
        )
    )


def qianbao(sheet: bool = True) -> GongwenDocument:
    unit = make_unit("江城市教育局", code="jyj", short_name="市教育局")
    department = make_department("人事科", unit=unit)
    clerk = make_user("jyj-rs", unit=unit, department=department)
    document = documents.create_document(
        direction="internal",
        unit_id=unit.id,
        doc_type="意见",
        title="关于购置教学设备的签报",
        drafter_id=clerk.id,
        drafting_department_id=department.id,
        status="reviewing",
    )
    versions.save_html_version(document.id, "<p>拟购置一批教学设备。</p>", author_id=clerk.id)
    if sheet:
        add_file(document, "sheet_pdf", "签报稿纸.pdf", blank_pdf())
    add_file(document, "attachment", "报价单.pdf", blank_pdf())
    return document


def test_qianbao_is_filed_with_its_sheet_first(app: Flask, frozen_clock: clock.FrozenClock) -> None:
    record = service.archive_document(qianbao().id, actor_id=None, history=[])
    assert [i.kind for i in record.items] == [
        "qianbao_sheet",
        "body_docx",
        "attachment",
        "history_json",
    ]
    assert record.items[0].filename == "签报稿纸.pdf"
    year = documents.beijing_today().year
    assert record.archive_code == f"J021-WS·{year}-D30-RSK-0001"
    assert record.meta["保管期限依据"]["条目"] == "R07"


def test_qianbao_without_its_sheet_is_refused(app: Flask) -> None:
    with pytest.raises(ValidationFailed, match="签报单尚未生成"):
        service.archive_document(qianbao(sheet=False).id, actor_id=None, history=[])
