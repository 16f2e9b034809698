"""Tables of what instances wait for outside themselves: timers, message subscriptions, messages.

Each row mirrors something in the engine state so that the scheduler finds due work with an index
instead of deserializing instances. Rows are written at every save of an instance (``timers`` and
``messages`` sync them) and claimed by the scheduler jobs so each fires or is delivered once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from services import clock
from services.db import UTCDateTime, db

TIMER_STATUSES = ("pending", "fired", "cancelled", "failed")
START_TIMER_STATUSES = ("pending", "claimed", "done", "retired", "failed")
MESSAGE_STATUSES = ("pending", "delivered", "failed")


class EngineTimer(db.Model):  # type: ignore[name-defined]
    """A waiting timer event of an instance (boundary, intermediate catch) and its due time."""

    __tablename__ = "engine_timer"
    __table_args__ = (
        # The scheduler's query: pending rows by due time.
        Index("ix_engine_timer_due", "status", "due_at"),
        UniqueConstraint("instance_id", "spiff_task_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("engine_process_instance.id"), index=True)
    spiff_task_id: Mapped[str] = mapped_column(String(36))
    task_spec: Mapped[str] = mapped_column(String(100))
    task_name: Mapped[str] = mapped_column(String(200), default="")
    kind: Mapped[str] = mapped_column(String(20))
    interrupting: Mapped[bool] = mapped_column(Boolean, default=True)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    fired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)


class MessageSubscription(db.Model):  # type: ignore[name-defined]
    """A catch event (intermediate catch, receive task, message start) waiting for a message."""

    __tablename__ = "engine_message_subscription"
    __table_args__ = (
        # Delivery's query: active subscriptions of a name with exactly these correlation values.
        Index("ix_engine_message_subscription_match", "message_name", "correlation_key", "active"),
        UniqueConstraint("instance_id", "spiff_task_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("engine_process_instance.id"), index=True)
    spiff_task_id: Mapped[str] = mapped_column(String(36))
    task_spec: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20))
    message_name: Mapped[str] = mapped_column(String(200))
    correlation: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Canonical JSON of ``correlation``: equality on an indexed column.
    correlation_key: Mapped[str] = mapped_column(String(500), default="{}")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)


class EngineMessage(db.Model):  # type: ignore[name-defined]
    """An outgoing message, written in the sender's transaction and delivered by the scheduler."""

    __tablename__ = "engine_message"
    __table_args__ = (Index("ix_engine_message_status", "status", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    correlation: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    correlation_key: Mapped[str] = mapped_column(String(500), default="{}")
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    source_instance_id: Mapped[int | None] = mapped_column(ForeignKey("engine_process_instance.id"))
    sender_id: Mapped[int | None] = mapped_column(ForeignKey("org_user.id"))
    status: Mapped[str] = mapped_column(String(20), default="pending")
    delivered_to: Mapped[list[int]] = mapped_column(JSON, default=list)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class StartTimer(db.Model):  # type: ignore[name-defined]
    """A timer start event of a deployed version: when the scheduler starts its next instance.

    One row per (version, start event), created by the scheduler for the latest version of each
    process and retired when a newer version is deployed. ``cycles_left`` counts the instances
    still to start (-1: unbounded ``R/...``); the row is ``done`` when it reaches 0.
    """

    __tablename__ = "engine_start_timer"
    __table_args__ = (
        Index("ix_engine_start_timer_due", "status", "due_at"),
        UniqueConstraint("version_id", "task_spec"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    process_key: Mapped[str] = mapped_column(String(100), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("engine_process_version.id"))
    task_spec: Mapped[str] = mapped_column(String(100))
    task_name: Mapped[str] = mapped_column(String(200), default="")
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Between two rounds of a cycle; None for a one-off (timeDate, timeDuration).
    interval_seconds: Mapped[float | None] = mapped_column(Float)
    cycles_left: Mapped[int] = mapped_column(Integer, default=1)
    workdays_only: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    started_count: Mapped[int] = mapped_column(Integer, default=0)
    last_instance_id: Mapped[int | None] = mapped_column(Integer)
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
