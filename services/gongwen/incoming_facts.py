"""What the 收文 pages show beyond the record itself: where a 收文 came from (平台分发, the
external intake API or 纸质来文登记), what each of its files is, and its 档号 once filed.

Paper scans are stored with the 正本 kind ``sealed_pdf`` (they stand in for the 正本 in the
件), but they are neither sealed nor necessarily PDFs: the pages call them 来文扫描件 and take the
format from the stored file's name, which the upload check matched against its content.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import select

from services.archive.models import ArchiveRecord
from services.db import db
from services.gongwen.exchange_models import IncomingRecord
from services.gongwen.intake_models import IntakeReceipt
from services.gongwen.models import DocumentFile

PLATFORM, INTAKE, PAPER = "platform", "intake", "paper"
# File formats by extension, as the pages name them.
FORMATS = {
    "pdf": "PDF",
    "ofd": "OFD",
    "jpg": "JPEG",
    "jpeg": "JPEG",
    "png": "PNG",
    "docx": "Word",
    "xlsx": "Excel",
}
_KIND_LABELS = {"sealed_pdf": "来文正本", "final_docx": "来文正文", "attachment": "附件"}
SCAN_LABEL = "来文扫描件"


@dataclass(frozen=True)
class LabelledFile:
    """A file of a 收文 with what it is (来文正本, 来文扫描件, 附件 …) and its format."""

    file: DocumentFile
    label: str
    format: str


def origin(record: IncomingRecord) -> str:
    """How the 收文 arrived: ``platform`` (a 发文's 分发), ``intake`` (the external API) or
    ``paper`` (registered by hand with scans)."""
    if record.distribution_id is not None:
        return PLATFORM
    receipt = select(IntakeReceipt.id).where(IntakeReceipt.record_id == record.id)
    return INTAKE if db.session.scalars(receipt).first() is not None else PAPER


def file_format(filename: str) -> str:
    """``PDF`` / ``JPEG`` / … from the stored name's extension; ``文件`` when unknown."""
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    return FORMATS.get(extension, "文件")


def label_files(files: list[DocumentFile], *, paper: bool) -> list[LabelledFile]:
    """The files as the 收文 pages list them; a paper 来文's (``paper``) scans are 来文扫描件."""
    return [LabelledFile(f, _label(f.kind, paper), file_format(f.filename)) for f in files]


def _label(kind: str, paper: bool) -> str:
    if paper and kind == "sealed_pdf":
        return SCAN_LABEL
    return _KIND_LABELS.get(kind, "来文文件")


def archive_codes(document_ids: Collection[int]) -> dict[int, str]:
    """档号 by document id, for the filed ones among ``document_ids`` (one query)."""
    wanted = sorted(set(document_ids))
    if not wanted:
        return {}
    rows = db.session.execute(
        select(ArchiveRecord.document_id, ArchiveRecord.archive_code).where(
            ArchiveRecord.document_id.in_(wanted)
        )
    )
    return {document_id: code for document_id, code in rows}
