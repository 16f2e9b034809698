"""Small readers of the wait tables for the timer and message tests."""

from __future__ import annotations

from sqlalchemy import select

from engine.runtime.models import HumanTask, InstanceEvent
from engine.runtime.wait_models import EngineTimer
from services.db import db


def timers_of(instance_id: int) -> list[EngineTimer]:
    return list(
        db.session.scalars(
            select(EngineTimer)
            .where(EngineTimer.instance_id == instance_id)
            .order_by(EngineTimer.id)
            .execution_options(populate_existing=True)
        )
    )


def active_specs(instance_id: int) -> list[str]:
    return sorted(
        db.session.scalars(
            select(HumanTask.task_spec).where(
                HumanTask.instance_id == instance_id, HumanTask.active.is_(True)
            )
        )
    )


def event_kinds(instance_id: int) -> list[str]:
    return list(
        db.session.scalars(
            select(InstanceEvent.kind)
            .where(InstanceEvent.instance_id == instance_id)
            .order_by(InstanceEvent.seq)
        )
    )
