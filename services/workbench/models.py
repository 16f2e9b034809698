"""The 关注 table: which process instances a user follows on the workbench."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index
from sqlalchemy.orm import Mapped, mapped_column

from services import clock
from services.db import UTCDateTime, db


class Follow(db.Model):  # type: ignore[name-defined]
    """A user follows an instance; the 关注 tab lists these, newest first."""

    __tablename__ = "workbench_follow"
    __table_args__ = (Index("ix_workbench_follow_user", "user_id", "created_at"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("org_user.id"), primary_key=True)
    # Named by table, not by class: services never import the engine's models.
    instance_id: Mapped[int] = mapped_column(
        ForeignKey("engine_process_instance.id"), primary_key=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
