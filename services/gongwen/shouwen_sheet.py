"""收文处理单: the processing sheet of a 收文, as .docx (python-docx) and PDF (warm LibreOffice).

One table like the printed form: the 登记 elements (收文号, 来文单位, 来文文号, 标题 …), then the
boxes of the handling — 拟办意见, 领导批示, 主办 and 协办 feedback, 办理结果 (and the 答复) — and
the 传阅 record (who read it, when). Layout helpers, fonts and file storage are those of the
发文稿纸 (:mod:`services.gongwen.sheet`); the sheet is kept as the 收文's ``sheet_docx`` /
``sheet_pdf`` files, so the 处理单 and the received document stay together (DA/T 22: one 件).

The caller (the engine's 归档 step) gathers who said what and when into :class:`SheetContent`;
this module only lays it out.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from docx.enum.table import WD_TABLE_ALIGNMENT
from sqlalchemy import delete

from services.convert.libreoffice import convert_to_pdf
from services.db import db
from services.gongwen import sheet
from services.gongwen.exchange_models import IncomingRecord
from services.gongwen.models import URGENCY_LABELS, DocumentFile

SHEET_NAME = sheet.SHEET_NAMES["in"]
# Opinion boxes of the sheet, top to bottom: SheetOpinion.step -> label.
STEPS = {
    "propose": "拟办意见",
    "instruct": "领导批示",
    "host": "主办部门办理情况",
    "assist": "协办部门意见",
    "finish": "办理结果",
}


@dataclass(frozen=True)
class Reading:
    """One 传阅 reader: ``read_at`` is None while unread."""

    name: str
    read_at: datetime | None = None
    comment: str = ""


@dataclass(frozen=True)
class SheetContent:
    """What the handling produced: opinions (``step`` a key of :data:`STEPS`) and readings."""

    opinions: list[sheet.SheetOpinion] = field(default_factory=list)
    readings: list[Reading] = field(default_factory=list)


def render_docx(record: IncomingRecord, content: SheetContent) -> bytes:
    """The 收文处理单 of ``record`` with ``content`` as .docx bytes."""
    doc = sheet._new_document()
    sheet._heading(doc, f"{record.unit.name}{SHEET_NAME}")
    table = doc.add_table(rows=0, cols=4)
    table.style = doc.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    for column, width in zip(table.columns, sheet.COLUMN_WIDTHS, strict=True):
        column.width = width
    for row in _element_rows(record):
        if len(row) == 2:
            sheet._text(sheet._wide_row(table, row[0]), row[1])
        else:
            sheet._pair_row(table, *row)
    for step, label in STEPS.items():
        opinions = [o for o in content.opinions if o.step == step]
        sheet._opinions(sheet._wide_row(table, label, height=sheet.OPINION_ROW_HEIGHT), opinions)
    if record.reply:
        sheet._text(sheet._wide_row(table, "答复来文单位"), record.reply)
    sheet._text(sheet._wide_row(table, "传阅情况"), _readings_text(content.readings))
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def render_pdf(record: IncomingRecord, content: SheetContent) -> bytes:
    """The 收文处理单 as PDF, converted by the shared warm LibreOffice pool."""
    return convert_to_pdf(render_docx(record, content))


def store_sheet(
    record: IncomingRecord, content: SheetContent, *, actor_id: int | None
) -> tuple[DocumentFile, DocumentFile]:
    """Render the 处理单 and keep it as the 收文's ``sheet_docx`` and ``sheet_pdf`` files,
    replacing the one stored before; filed with the received document."""
    docx_bytes = render_docx(record, content)
    pdf_bytes = convert_to_pdf(docx_bytes)
    document_id = record.document_id
    db.session.execute(
        delete(DocumentFile).where(
            DocumentFile.document_id == document_id, DocumentFile.kind.in_(sheet.SHEET_KINDS)
        )
    )
    files = (
        sheet._file(document_id, "sheet_docx", f"{SHEET_NAME}.docx", docx_bytes, actor_id),
        sheet._file(document_id, "sheet_pdf", f"{SHEET_NAME}.pdf", pdf_bytes, actor_id),
    )
    db.session.add_all(files)
    db.session.flush()
    return files


def _element_rows(record: IncomingRecord) -> list[tuple[str, ...]]:
    """The 登记 elements: 4-tuples are two label/value pairs, 2-tuples span the row."""
    document = record.document
    return [
        ("收文号", record.receipt_number or "", "收文日期", _day(record.received_date)),
        ("来文单位", record.from_unit, "来文文号", record.from_doc_number),
        (
            "密级",
            document.secrecy or "非密",
            "紧急程度",
            URGENCY_LABELS.get(document.urgency) or "平件",
        ),
        ("份数", str(document.copies or ""), "办理期限", _day(record.deadline)),
        ("标题", document.title),
    ]


def _day(value: date | None) -> str:
    return f"{value.year}年{value.month}月{value.day}日" if value else ""


def _readings_text(readings: Iterable[Reading]) -> str:
    lines = []
    for reading in readings:
        state = f"已阅　{sheet._moment(reading.read_at)}" if reading.read_at else "未阅"
        remark = f"　{reading.comment}" if reading.comment else ""
        lines.append(f"{reading.name}　{state}{remark}")
    return "\n".join(lines) or "未传阅"
