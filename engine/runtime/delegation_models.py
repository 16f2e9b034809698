"""委托 rules: while a rule is active, new tasks meant for the delegator go to the delegate."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from services import clock
from services.db import UTCDateTime, db


class Delegation(db.Model):  # type: ignore[name-defined]
    """One user's delegation for a period, for all processes or only ``process_keys``."""

    __tablename__ = "engine_delegation"
    __table_args__ = (Index("ix_engine_delegation_user", "user_id", "active", "starts_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("org_user.id"))
    delegate_id: Mapped[int] = mapped_column(ForeignKey("org_user.id"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Empty list: every process.
    process_keys: Mapped[list[str]] = mapped_column(JSON, default=list)
    reason: Mapped[str] = mapped_column(String(300), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
