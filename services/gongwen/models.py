"""Tables of the 公文 record: the document's elements, its 正文 versions and its generated files.

Files live in the database (not on disk) so that a document's files commit atomically with its
state and are part of the database backup. ``instance_id`` is a plain integer: services do not
depend on the engine's tables.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from services import clock
from services.db import UTCDateTime, db
from services.org.models import Department, Unit, User

# Direction of a record: 发文, 收文, 签报.
DIRECTIONS = {"out": "发文", "in": "收文", "internal": "签报"}
# The 15 文种 of 《党政机关公文处理工作条例》 第八条, by their Chinese names.
DOC_TYPES = (
    "决议",
    "决定",
    "命令（令）",
    "公报",
    "公告",
    "通告",
    "意见",
    "通知",
    "通报",
    "报告",
    "请示",
    "批复",
    "议案",
    "函",
    "纪要",
)
# 密级: "" is an ordinary (公开/内部) document; the other three are state secrets.
SECRECY_LEVELS = ("", "秘密", "机密", "绝密")
# 紧急程度 keys as the inbox uses them, with the words printed on the document.
URGENCY_LABELS = {"normal": "", "urgent": "加急", "very_urgent": "特急"}
# 重要程度: "重要" documents go to the 主要负责人 for sign-off (bpmn-models/fawen_signoff.dmn).
IMPORTANCE_LEVELS = ("一般", "重要")
DISCLOSURE_OPTIONS = ("主动公开", "依申请公开", "不予公开")
# Life cycle words the fawen/shouwen processes write; free text beyond these is refused.
STATUSES = (
    "draft",
    "reviewing",
    "signed",
    "registered",
    "issued",
    "received",
    "archived",
    "void",
)
BODY_KINDS = ("html", "docx")
FILE_KINDS = (
    "redhead_docx",
    "sealed_pdf",
    "unsealed_pdf",
    "sheet_docx",
    "sheet_pdf",
    "final_docx",
    "attachment",
)


class GongwenDocument(db.Model):  # type: ignore[name-defined]
    """One 公文 (outgoing, incoming or internal) with the elements of 条例 第九条."""

    __tablename__ = "gongwen_document"

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int | None] = mapped_column(Integer, unique=True)
    direction: Mapped[str] = mapped_column(String(10))
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), index=True)
    doc_type: Mapped[str] = mapped_column(String(10))
    title: Mapped[str] = mapped_column(String(200))
    # [{"unit_id": int | None, "name": str}, ...]
    main_recipients: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    copy_recipients: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    secrecy: Mapped[str] = mapped_column(String(4), default="")
    secrecy_term: Mapped[str] = mapped_column(String(20), default="")
    urgency: Mapped[str] = mapped_column(String(12), default="normal")
    importance: Mapped[str] = mapped_column(String(4), default="一般")
    copies: Mapped[int] = mapped_column(Integer, default=0)
    drafter_id: Mapped[int] = mapped_column(ForeignKey("org_user.id"))
    drafting_department_id: Mapped[int | None] = mapped_column(ForeignKey("org_department.id"))
    signer_id: Mapped[int | None] = mapped_column(ForeignKey("org_user.id"))
    signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # 成文日期: the day the (last) signer signed, as printed.
    issued_date: Mapped[date | None] = mapped_column(Date)
    attachments_note: Mapped[list[str]] = mapped_column(JSON, default=list)
    note: Mapped[str] = mapped_column(String(200), default="")
    printing_unit: Mapped[str] = mapped_column(String(100), default="")
    printed_date: Mapped[date | None] = mapped_column(Date)
    # For search only; never printed (主题词 were dropped from the 2012 format).
    keywords: Mapped[str] = mapped_column(String(200), default="")
    # "" until someone decides; one of DISCLOSURE_OPTIONS afterwards.
    disclosure: Mapped[str] = mapped_column(String(10), default="")
    doc_number: Mapped[str | None] = mapped_column(String(60), index=True)
    status: Mapped[str] = mapped_column(String(20), default="draft")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("org_user.id"))

    unit: Mapped[Unit] = relationship()
    drafter: Mapped[User] = relationship(foreign_keys=[drafter_id])
    signer: Mapped[User | None] = relationship(foreign_keys=[signer_id])
    drafting_department: Mapped[Department | None] = relationship()


class BodyVersion(db.Model):  # type: ignore[name-defined]
    """One saved 正文: sanitised structured HTML or an uploaded .docx, numbered 1, 2, 3 …"""

    __tablename__ = "gongwen_body_version"
    __table_args__ = (UniqueConstraint("document_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("gongwen_document.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    author_id: Mapped[int] = mapped_column(ForeignKey("org_user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    kind: Mapped[str] = mapped_column(String(8))
    html: Mapped[str | None] = mapped_column(Text)
    docx: Mapped[bytes | None] = mapped_column(LargeBinary)
    comment: Mapped[str] = mapped_column(String(200), default="")
    # 定稿: at most one version per document carries the flag.
    is_final: Mapped[bool] = mapped_column(Boolean, default=False)

    author: Mapped[User] = relationship()


class DocumentFile(db.Model):  # type: ignore[name-defined]
    """A generated or attached file of a document (套红 .docx, sealed PDF, 稿纸 …)."""

    __tablename__ = "gongwen_document_file"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("gongwen_document.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    filename: Mapped[str] = mapped_column(String(200))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("org_user.id"))
