"""Incidents: a service task failed with no BPMN error path, and waits for an admin to retry."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from services import clock
from services.db import UTCDateTime, db


class Incident(db.Model):  # type: ignore[name-defined]
    """One stuck service task of an instance; open while ``resolved_at`` is None."""

    __tablename__ = "engine_incident"
    __table_args__ = (Index("ix_engine_incident_open", "resolved_at", "instance_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("engine_process_instance.id"))
    spiff_task_id: Mapped[str] = mapped_column(String(36))
    task_spec: Mapped[str] = mapped_column(String(200))
    task_name: Mapped[str] = mapped_column(String(300), default="")
    service: Mapped[str] = mapped_column(String(200))
    error_code: Mapped[str] = mapped_column(String(100))
    message: Mapped[str] = mapped_column(Text, default="")
    # Failed runs: 1 when opened, +1 for every retry that failed again.
    attempts: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    last_failed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("org_user.id"), nullable=True)
