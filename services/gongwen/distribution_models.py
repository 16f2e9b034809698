"""分发 records: one row per recipient of an issued 发文 (主送 or 抄送, on the platform or not)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from services import clock
from services.db import UTCDateTime, db
from services.org.models import Unit

# 主送 / 抄送, as printed.
KINDS = ("主送", "抄送")
# 已送达: delivered to a platform unit's 收文箱; 待寄送: an outside recipient, printed and mailed.
DELIVERED, TO_MAIL = "已送达", "待寄送"


class Distribution(db.Model):  # type: ignore[name-defined]
    """One recipient of one 发文; ``unit_id`` is None for recipients outside the platform."""

    __tablename__ = "gongwen_distribution"
    __table_args__ = (UniqueConstraint("document_id", "recipient_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("gongwen_document.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id"), index=True)
    recipient_name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(4))
    status: Mapped[str] = mapped_column(String(8))
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The engine message that carries the document to the unit's 收文 (None for mail).
    message_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("org_user.id"))

    unit: Mapped[Unit | None] = relationship()
