"""Receipts of packages pushed by external systems through the intake API.

One row per accepted package. ``(sender, doc_number)`` is unique: a package sent again (a
retry after a lost answer) finds its receipt instead of filing a second 收文.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from services import clock
from services.db import UTCDateTime, db
from services.gongwen.exchange_models import IncomingRecord


class IntakeReceipt(db.Model):  # type: ignore[name-defined]
    """An external package filed as a 收文 of the recipient unit."""

    __tablename__ = "gongwen_intake_receipt"
    __table_args__ = (UniqueConstraint("sender", "doc_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sender: Mapped[str] = mapped_column(String(32))
    doc_number: Mapped[str] = mapped_column(String(60))
    record_id: Mapped[int] = mapped_column(ForeignKey("gongwen_incoming.id"), unique=True)
    # SHA-256 of the body file, to tell a true resend from a different package reusing a 文号.
    body_sha256: Mapped[str] = mapped_column(String(64))
    client_ip: Mapped[str] = mapped_column(String(45), default="")
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)

    record: Mapped[IncomingRecord] = relationship()
