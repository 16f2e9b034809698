"""Status events owed to external senders: one row per (package, event), sent by a job.

A row is added in the transaction that 签收s, 退文s or 办结s an intake 收文, so an event exists
exactly when the change does. ``payload`` is the JSON the sender receives, frozen at that moment.
``status`` goes pending -> claimed -> sent, or back to pending (with ``due_at`` pushed out) after a
failure, and ``failed`` once the attempts are used up (kept, listed, put back by hand).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from services import clock
from services.db import UTCDateTime, db

# Events a sender is told about, and the 收文 status each one reports.
SIGNED_EVENT, RETURNED_EVENT, FINISHED_EVENT = "signed", "returned", "finished"
EVENTS = (SIGNED_EVENT, RETURNED_EVENT, FINISHED_EVENT)


class IntakeCallback(db.Model):  # type: ignore[name-defined]
    """One status event of one external package, to POST to its sender's callback URL."""

    __tablename__ = "gongwen_intake_callback"
    __table_args__ = (UniqueConstraint("receipt_id", "event"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    receipt_id: Mapped[int] = mapped_column(ForeignKey("gongwen_intake_receipt.id"), index=True)
    sender: Mapped[str] = mapped_column(String(32))
    event: Mapped[str] = mapped_column(String(16))
    payload: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now, index=True)
    claimed_by: Mapped[str | None] = mapped_column(String(120))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
