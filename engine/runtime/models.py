"""Tables of the runtime: process instances, the human-task table (the inbox) and the event log.

The instance row holds the engine state (compact UTF-8 JSON without the spec, see
``persistence``) and a revision counter bumped by every change. Human tasks are rows so that the
inbox is answered by an index, never by deserializing engine state. Events are append-only and
hash-chained per instance (``history``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from services import clock
from services.db import UTCDateTime, db

INSTANCE_STATUSES = ("running", "suspended", "completed", "terminated", "error")
TASK_STATUSES = ("open", "claimed", "completed", "cancelled")
# Statuses in which a task still waits for a person (mirrored by HumanTask.active).
ACTIVE_TASK_STATUSES = ("open", "claimed")


def _partial_index(name: str, *columns: str) -> Index:
    """An index of the rows whose first column is set: a new task row (NULL there) writes no
    page of it, and a query ``column = value`` still uses it on both databases."""
    where = text(f"{columns[0]} IS NOT NULL")
    return Index(name, *columns, sqlite_where=where, postgresql_where=where)


class ProcessInstance(db.Model):  # type: ignore[name-defined]
    __tablename__ = "engine_process_instance"
    __table_args__ = (
        Index("ix_engine_process_instance_starter", "starter_id", "created_at"),
        Index("ix_engine_process_instance_status", "status", "process_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("engine_process_version.id"), index=True)
    process_key: Mapped[str] = mapped_column(String(100))
    business_key: Mapped[str | None] = mapped_column(String(100), index=True)
    title: Mapped[str] = mapped_column(String(300), default="")
    status: Mapped[str] = mapped_column(String(20), default="running")
    starter_id: Mapped[int] = mapped_column(ForeignKey("org_user.id"))
    starter_unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id"))
    urgency: Mapped[str] = mapped_column(String(20), default="normal")
    state: Mapped[str] = mapped_column(Text, default="")
    state_format: Mapped[int] = mapped_column(Integer, default=0)
    revision: Mapped[int] = mapped_column(Integer, default=0)
    # Head of the event chain (``history``): kept on the locked row, so appending needs no read
    # and a deleted trailing event is still detected.
    event_seq: Mapped[int] = mapped_column(Integer, default=0)
    event_hash: Mapped[str] = mapped_column(String(64), default="0" * 64)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class HumanTask(db.Model):  # type: ignore[name-defined]
    """One waiting (or finished) user task: the row the inbox lists."""

    __tablename__ = "engine_human_task"
    __table_args__ = (
        # My tasks, first page by due time: one index range, no sort.
        Index("ix_engine_human_task_inbox", "assignee_id", "active", "due_at", "id"),
        # 已办: tasks I completed, newest first.
        _partial_index("ix_engine_human_task_done", "completed_by_id", "completed_at"),
        Index("ix_engine_human_task_instance", "instance_id", "active"),
        # 加签 rows of a task, tasks a user delegated: few rows have either column set.
        _partial_index("ix_engine_human_task_parent_id", "parent_id"),
        _partial_index("ix_engine_human_task_delegated_from_id", "delegated_from_id"),
        UniqueConstraint("instance_id", "spiff_task_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("engine_process_instance.id"))
    spiff_task_id: Mapped[str] = mapped_column(String(36))
    task_spec: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(200))
    process_key: Mapped[str] = mapped_column(String(100))
    form_key: Mapped[str | None] = mapped_column(String(100))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("org_user.id"))
    status: Mapped[str] = mapped_column(String(20), default="open")
    # True while status is open or claimed, so "my open tasks" is a single index range.
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    priority: Mapped[int] = mapped_column(Integer, default=0)
    urgency: Mapped[str] = mapped_column(String(20), default="normal")
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    title: Mapped[str] = mapped_column(String(300), default="")
    business_key: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_by_id: Mapped[int | None] = mapped_column(ForeignKey("org_user.id"))
    # "task" mirrors an engine task; "addsign" is a 加签 row gating its ``parent_id`` task.
    kind: Mapped[str] = mapped_column(String(20), default="task")
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("engine_human_task.id"))
    # 委托: the user the task was meant for; it stays visible to them (``operations``).
    delegated_from_id: Mapped[int | None] = mapped_column(ForeignKey("org_user.id"))

    candidates: Mapped[list[HumanTaskCandidate]] = relationship(cascade="all, delete-orphan")
    parent: Mapped[HumanTask | None] = relationship(remote_side="HumanTask.id")

    @property
    def engine_task_id(self) -> str:
        """The engine task this row acts on: its own, or for a 加签 row the gated task's."""
        return self.parent.spiff_task_id if self.parent is not None else self.spiff_task_id


class HumanTaskCandidate(db.Model):  # type: ignore[name-defined]
    """A user who may claim a group task (签收)."""

    __tablename__ = "engine_human_task_candidate"
    __table_args__ = (Index("ix_engine_human_task_candidate_user", "user_id", "task_id"),)

    task_id: Mapped[int] = mapped_column(ForeignKey("engine_human_task.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("org_user.id"), primary_key=True)


class InstanceEvent(db.Model):  # type: ignore[name-defined]
    """An append-only history entry; ``hash`` chains it to the previous event of the instance."""

    __tablename__ = "engine_instance_event"
    __table_args__ = (
        UniqueConstraint("instance_id", "seq"),
        # The auditor's search across instances (event_search): by time, and by person.
        Index("ix_engine_instance_event_at", "at"),
        # Engine events (task created, timer fired ...) have no actor: not in this index.
        _partial_index("ix_engine_instance_event_actor", "actor_id", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("engine_process_instance.id"))
    seq: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("org_user.id"))
    kind: Mapped[str] = mapped_column(String(40))
    task_spec: Mapped[str | None] = mapped_column(String(100))
    task_name: Mapped[str | None] = mapped_column(String(200))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
