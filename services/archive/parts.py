"""What one 件 is made of, by the document's direction, in DA/T 22 order.

- 发文 (``out``): 发文稿纸 (PDF), sealed 正本, 附件, 定稿 .docx;
- 收文 (``in``): 收文处理单 (PDF) before the received document (来文正本: the sealed PDF that
  came through 公文交换, the body of an intake package, or the scans of a paper 来文), then
  its 附件;
- 签报 (``internal``): 签报单 (PDF), the 正文 (定稿 or latest version, .docx), 附件.

The process history (JSON) is always the last item; the service appends it. A document that
may not be filed yet, or lacks a required part, is refused with a Chinese message naming what
is missing; nothing is written before these checks pass.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from services.db import db
from services.errors import Conflict, ValidationFailed
from services.gongwen import sheet, versions
from services.gongwen.exchange_models import FINISHED, IncomingRecord
from services.gongwen.models import DocumentFile, GongwenDocument

# Item kind -> how the 件's file list names it.
ITEM_LABELS = {
    "sheet_pdf": "发文稿纸",
    "processing_sheet": "收文处理单",
    "qianbao_sheet": "签报单",
    "sealed_pdf": "正本（已用印）",
    "received_doc": "来文正本",
    "body_docx": "正文",
    "attachment": "附件",
    "final_docx": "定稿",
    "history_json": "流转记录",
}
# The item that holds the document itself (its pages are the 件's 页数), by direction.
MAIN_KIND = {"out": "sealed_pdf", "in": "received_doc", "internal": "body_docx"}
# Stored file kinds that may be the received document, most authoritative first.
RECEIVED_KINDS = ("sealed_pdf", "unsealed_pdf", "final_docx")
# Stored kinds that are never the received document.
NOT_RECEIVED = ("sheet_pdf", "sheet_docx", "attachment")
SHEET_KIND = {"out": "sheet_pdf", "in": "processing_sheet", "internal": "qianbao_sheet"}
_NO_SHEET = {
    "out": "尚未生成发文稿纸，不能归档",
    "in": "尚未生成收文处理单，不能归档",
    "internal": "签报单尚未生成，不能归档",
}


@dataclass(frozen=True)
class Part:
    """One file going into the 件: its item kind, the name it is filed under, its bytes."""

    kind: str
    filename: str
    content: bytes


def incoming_record(document_id: int) -> IncomingRecord | None:
    """The 收文 record of a document of direction ``in``."""
    return db.session.scalars(
        select(IncomingRecord).where(IncomingRecord.document_id == document_id)
    ).first()


def check_archivable(document: GongwenDocument, already_filed: bool) -> None:
    """Refuse a document that is filed already (:class:`Conflict`) or not ready to be."""
    if document.status == "archived" or already_filed:
        raise Conflict(f"公文“{document.title}”已归档，不能重复归档")
    if document.direction == "in":
        record = incoming_record(document.id)
        if record is None or record.status != FINISHED:
            raise ValidationFailed(
                f"收文“{document.title}”尚未办结，不能归档", errors={"status": "收文尚未办结"}
            )
    elif document.direction == "internal":
        if document.status in ("draft", "void"):
            raise ValidationFailed(
                f"签报“{document.title}”尚未办结，不能归档", errors={"status": "签报尚未办结"}
            )
    elif document.status != "issued" or not _files(document.id, "sealed_pdf"):
        raise ValidationFailed(
            f"公文“{document.title}”尚未印发（没有加盖印章的正式文件），不能归档",
            errors={"status": "公文尚未印发"},
        )


def collect(document: GongwenDocument) -> list[Part]:
    """The files of the 件 in filing order (without the history), or :class:`ValidationFailed`
    naming the first missing part."""
    direction = document.direction if document.direction in SHEET_KIND else "out"
    sheet_file = _required(document.id, "sheet_pdf", _NO_SHEET[direction])
    sheet_name = f"{sheet.SHEET_NAMES[direction]}.pdf" if direction != "out" else "发文稿纸.pdf"
    parts = [Part(SHEET_KIND[direction], sheet_name, sheet_file.content)]
    if direction == "in":
        parts += _received(document.id)
    elif direction == "internal":
        parts += _body(document.id)
    else:
        sealed = _files(document.id, "sealed_pdf")[-1]
        parts.append(Part("sealed_pdf", "正本.pdf", sealed.content))
    parts += [Part("attachment", f.filename, f.content) for f in _files(document.id, "attachment")]
    if direction == "out":
        final = _required(document.id, "final_docx", "尚未确定定稿，不能归档")
        parts.append(Part("final_docx", "定稿.docx", final.content))
    return parts


def _files(document_id: int, kind: str) -> list[DocumentFile]:
    return list(
        db.session.scalars(
            select(DocumentFile)
            .where(DocumentFile.document_id == document_id, DocumentFile.kind == kind)
            .order_by(DocumentFile.id)
        )
    )


def _required(document_id: int, kind: str, missing: str) -> DocumentFile:
    """The newest stored file of ``kind``; refused with ``missing`` when there is none."""
    found = _files(document_id, kind)
    if not found:
        raise ValidationFailed(missing, errors={kind: missing})
    return found[-1]


def _received(document_id: int) -> list[Part]:
    """来文正本: every file of the most authoritative kind present (a paper 来文 may have
    several scans), else the other files that are neither the 处理单 nor an 附件."""
    found: list[DocumentFile] = []
    for kind in RECEIVED_KINDS:
        found = found or _files(document_id, kind)
    if not found:
        found = list(
            db.session.scalars(
                select(DocumentFile)
                .where(
                    DocumentFile.document_id == document_id,
                    DocumentFile.kind.not_in(NOT_RECEIVED),
                )
                .order_by(DocumentFile.id)
            )
        )
    if not found:
        message = "没有来文正本（来文文件或纸质来文扫描件），不能归档"
        raise ValidationFailed(message, errors={"received_doc": message})
    numbered = len(found) > 1
    return [_received_part(f, n if numbered else None) for n, f in enumerate(found, start=1)]


def _received_part(file: DocumentFile, number: int | None) -> Part:
    suffix = file.filename.rsplit(".", 1)[-1].lower() if "." in file.filename else "bin"
    name = f"来文正本（{number}）" if number else "来文正本"
    return Part("received_doc", f"{name}.{suffix}", file.content)


def _body(document_id: int) -> list[Part]:
    """The 签报's 正文 (定稿 version, else the latest), when one was saved."""
    version = versions.final_version(document_id) or versions.latest_version(document_id)
    if version is None:
        return []
    return [Part("body_docx", "正文.docx", versions.to_docx(version))]
