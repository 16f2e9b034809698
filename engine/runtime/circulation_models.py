"""传阅 tables: one row per circulation (who sent which instance, with a note) and one row per
reader, the reader's 待阅 item with its read receipt.

Readers' items are what the 待阅 box lists: ``(reader_id, status, created_at)`` answers it from
one index range. The instance id is repeated on the item so that "who has read this document"
is one range too.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from services import clock
from services.db import UTCDateTime, db

ITEM_STATUSES = ("unread", "read", "recalled")


class Circulation(db.Model):  # type: ignore[name-defined]
    """One act of 传阅: a participant sends an instance's document to some readers."""

    __tablename__ = "engine_circulation"

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("engine_process_instance.id"), index=True)
    sender_id: Mapped[int] = mapped_column(ForeignKey("org_user.id"))
    # The task page it was sent from, if any (for the history line).
    task_id: Mapped[int | None] = mapped_column(ForeignKey("engine_human_task.id"))
    note: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    items: Mapped[list[CirculationItem]] = relationship(back_populates="circulation")


class CirculationItem(db.Model):  # type: ignore[name-defined]
    """A reader's 待阅 item: unread until 阅知 (``read_at``), or recalled by the sender."""

    __tablename__ = "engine_circulation_item"
    __table_args__ = (
        Index("ix_engine_circulation_item_reader", "reader_id", "status", "created_at"),
        Index("ix_engine_circulation_item_instance", "instance_id", "reader_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    circulation_id: Mapped[int] = mapped_column(ForeignKey("engine_circulation.id"), index=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("engine_process_instance.id"))
    reader_id: Mapped[int] = mapped_column(ForeignKey("org_user.id"))
    status: Mapped[str] = mapped_column(String(20), default="unread")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The reader's remark on 阅知 (plain text, shown escaped).
    comment: Mapped[str] = mapped_column(Text, default="")
    recalled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    circulation: Mapped[Circulation] = relationship(back_populates="items")
