"""Tables of the archive (DA/T 22-2015): one record (件) per document, its items and 件号 counters.

Records and items are written once and never changed: the ORM refuses updates and deletes, and
each item's SHA-256 is kept so that ``verify_record`` can prove the content is what was filed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, LargeBinary, String, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from services import clock
from services.db import UTCDateTime, db
from services.errors import Conflict
from services.gongwen.models import GongwenDocument

# 保管期限: 永久, 定期30年, 定期10年.
RETENTIONS = {"Y": "永久", "D30": "定期30年", "D10": "定期10年"}
# Item kinds in DA/T 22 order within a 件: 稿纸 before the document, 正本 before its 附件,
# then 定稿, then the processing history.
ITEM_KINDS = ("sheet_pdf", "sealed_pdf", "attachment", "final_docx", "history_json")


class ArchiveRecord(db.Model):  # type: ignore[name-defined]
    """One archived 件 with its 档号 and DA/T 46 style descriptive metadata."""

    __tablename__ = "archive_record"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("gongwen_document.id"), unique=True)
    archive_code: Mapped[str] = mapped_column(String(60), unique=True)
    fonds_code: Mapped[str] = mapped_column(String(20))
    year: Mapped[int] = mapped_column(Integer)
    retention: Mapped[str] = mapped_column(String(4))
    org_code: Mapped[str] = mapped_column(String(20))
    item_no: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    doc_number: Mapped[str | None] = mapped_column(String(60))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("org_user.id"))
    # "metadata" is reserved by SQLAlchemy's declarative base; the column keeps the name.
    meta: Mapped[dict[str, Any]] = mapped_column("metadata", JSON, default=dict)

    document: Mapped[GongwenDocument] = relationship()
    items: Mapped[list[ArchiveItem]] = relationship(order_by="ArchiveItem.seq")


class ArchiveItem(db.Model):  # type: ignore[name-defined]
    """One file of a 件 (sealed PDF, 定稿, 稿纸, 附件, 流转记录)."""

    __tablename__ = "archive_item"
    __table_args__ = (UniqueConstraint("record_id", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("archive_record.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))
    filename: Mapped[str] = mapped_column(String(200))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    content: Mapped[bytes] = mapped_column(LargeBinary)


class ArchiveCounter(db.Model):  # type: ignore[name-defined]
    """The next free 件号 of one (全宗号, 年度, 保管期限); rows are only ever incremented."""

    __tablename__ = "archive_counter"
    __table_args__ = (UniqueConstraint("fonds_code", "year", "retention"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    fonds_code: Mapped[str] = mapped_column(String(20))
    year: Mapped[int] = mapped_column(Integer)
    retention: Mapped[str] = mapped_column(String(4))
    next_no: Mapped[int] = mapped_column(Integer, default=1)


def _refuse_change(_mapper: Any, _connection: Any, target: Any) -> None:
    raise Conflict(f"档案一经归档不可修改或删除（{type(target).__name__} {target.id}）")


for _model in (ArchiveRecord, ArchiveItem):
    event.listen(_model, "before_update", _refuse_change)
    event.listen(_model, "before_delete", _refuse_change)
