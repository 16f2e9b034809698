"""公文交换 records: one 收文 per delivered copy of a 发文, with its 登记 and its status.

The 收文 itself is a :class:`~services.gongwen.models.GongwenDocument` (direction ``in``) of the
receiving unit; this row holds what only a 收文 has (收文号, 来文单位, 办理期限 …) and the status
the sender follows per recipient (已送达 / 已签收 / 已退文 / 已办结). ``distribution_id`` is unique:
one copy delivered to one unit is received once, whatever happens to the messages.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from services import clock
from services.db import UTCDateTime, db
from services.gongwen.models import GongwenDocument
from services.org.models import Unit

# Status of a received copy, as the sender and the 收文箱 show it.
DELIVERED, SIGNED, RETURNED, FINISHED = "已送达", "已签收", "已退文", "已办结"
STATUSES = (DELIVERED, SIGNED, RETURNED, FINISHED)
# 收文 categories (local practice).
CATEGORIES = ("普发件", "报告", "请示", "函件", "其他", "密件")
# 收文 classes, each with its own 收文编号 sequence per unit and year: 收报 (报告/请示 reported up
# to us), 收抄 (抄送件, for information), 收办 (主送件 we must handle). Records registered before
# the classes existed keep ``""`` and show as "—".
REPORTED, COPIED, TO_HANDLE = "收报", "收抄", "收办"
RECEIPT_CLASSES = (REPORTED, COPIED, TO_HANDLE)


class IncomingRecord(db.Model):  # type: ignore[name-defined]
    """One 收文 of one unit: where it came from, its 登记 and how far it got."""

    __tablename__ = "gongwen_incoming"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The 收文 record (direction "in") of the receiving unit.
    document_id: Mapped[int] = mapped_column(ForeignKey("gongwen_document.id"), unique=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), index=True)
    # The 发文 it is a copy of and the 分发 row that sent it (None for paper or external mail).
    source_document_id: Mapped[int | None] = mapped_column(
        ForeignKey("gongwen_document.id"), index=True
    )
    distribution_id: Mapped[int | None] = mapped_column(
        ForeignKey("gongwen_distribution.id"), unique=True
    )
    instance_id: Mapped[int | None] = mapped_column(Integer, index=True)
    status: Mapped[str] = mapped_column(String(8), default=DELIVERED)
    delivered_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    signed_by_id: Mapped[int | None] = mapped_column(ForeignKey("org_user.id"))
    returned_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    returned_by_id: Mapped[int | None] = mapped_column(ForeignKey("org_user.id"))
    return_reason: Mapped[str] = mapped_column(String(500), default="")
    # 登记
    receipt_number: Mapped[str | None] = mapped_column(String(20), index=True)
    receipt_class: Mapped[str] = mapped_column(String(4), default="")
    from_unit: Mapped[str] = mapped_column(String(100), default="")
    from_doc_number: Mapped[str] = mapped_column(String(60), default="")
    category: Mapped[str] = mapped_column(String(6), default="")
    received_date: Mapped[date | None] = mapped_column(Date)
    deadline: Mapped[date | None] = mapped_column(Date)
    need_reply: Mapped[bool] = mapped_column(Boolean, default=False)
    # 办结
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_by_id: Mapped[int | None] = mapped_column(ForeignKey("org_user.id"))
    result: Mapped[str] = mapped_column(Text, default="")
    reply: Mapped[str] = mapped_column(Text, default="")
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    document: Mapped[GongwenDocument] = relationship(foreign_keys=[document_id])
    unit: Mapped[Unit] = relationship()
