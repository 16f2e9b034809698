"""Factories for archive tests: an issued 发文 with every part of its 件, and its history."""

from __future__ import annotations

import hashlib
import io
from datetime import UTC, date, datetime
from typing import Any

from pypdf import PdfWriter

from services import clock
from services.db import db
from services.gongwen import documents
from services.gongwen.models import DocumentFile, GongwenDocument
from tests.convert.helpers import make_docx
from tests.gongwen.sheet_helpers import make_outgoing


def blank_pdf(pages: int = 1) -> bytes:
    """A real PDF of ``pages`` blank A4 pages."""
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def add_file(document: GongwenDocument, kind: str, filename: str, content: bytes) -> DocumentFile:
    """Attach a stored file of ``kind`` to ``document``."""
    file = DocumentFile(
        document_id=document.id,
        kind=kind,
        filename=filename,
        content=content,
        sha256=hashlib.sha256(content).hexdigest(),
        size=len(content),
        created_at=clock.now(),
    )
    db.session.add(file)
    db.session.flush()
    return file


def make_issued(
    title: str = "江城市教育局关于做好2025年春季学期开学工作的通知",
    *,
    issued_date: date = date(2025, 3, 5),
    sealed: bool = True,
    sheet: bool = True,
    final: bool = True,
    **fields: Any,
) -> GongwenDocument:
    """An issued 发文 with a 稿纸 PDF, a sealed 正本 (3 pages), two 附件 and a 定稿 .docx."""
    document = make_outgoing(title, status="issued", issued_date=issued_date, **fields)
    if sheet:
        add_file(document, "sheet_pdf", "发文稿纸.pdf", blank_pdf())
    if sealed:
        add_file(document, "sealed_pdf", "正本.pdf", blank_pdf(3))
    add_file(document, "attachment", "附件1 开学工作检查表.xlsx", b"xlsx bytes")
    add_file(document, "attachment", "附件2 联系人名单.docx", make_docx("联系人名单"))
    if final:
        add_file(document, "final_docx", "定稿（第2版）.docx", make_docx(title))
    return document


def sample_history(actor_id: int | None = None) -> list[dict[str, Any]]:
    """Process history as engine/ passes it: event views as dicts."""
    at = datetime(2025, 3, 5, 6, 30, tzinfo=UTC)
    return [
        {"seq": 1, "at": at, "actor_id": actor_id, "kind": "started", "task_name": None},
        {"seq": 2, "at": at, "actor_id": actor_id, "kind": "completed", "task_name": "拟稿"},
        {"seq": 3, "at": at, "actor_id": None, "kind": "completed", "task_name": "签发"},
    ]


_serials = iter(range(1, 10_000))


def document_serial() -> int:
    """A fresh number for test 发文字号."""
    return next(_serials)


def make_issued_of(
    unit_id: int,
    drafter_id: int,
    department_id: int,
    title: str = "江城市财政局关于开展财政资金专项检查的通知",
    *,
    issued_date: date,
) -> GongwenDocument:
    """An issued 发文 of an existing unit (e.g. one of the demo city) with every part of its 件."""
    document = documents.create_document(
        direction="out",
        unit_id=unit_id,
        doc_type="通知",
        title=title,
        drafter_id=drafter_id,
        drafting_department_id=department_id,
        signer_id=drafter_id,
        doc_number=f"江财发〔{issued_date.year}〕{document_serial()}号",
        status="issued",
        issued_date=issued_date,
    )
    add_file(document, "sheet_pdf", "发文稿纸.pdf", blank_pdf())
    add_file(document, "sealed_pdf", "正本.pdf", blank_pdf(2))
    add_file(document, "final_docx", "定稿.docx", make_docx(title))
    return document
