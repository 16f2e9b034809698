"""Start an incident test process and complete its 填报 task."""

from __future__ import annotations

from typing import Any

from engine import api
from services.db import db
from tests.engine.runtime.helpers import active_rows

SUBJECT = "关于报送季度统计数据的通知"
COMMENT = "数据已核对，请调用接口报送"


def start_and_fill(process_key: str, people: Any) -> int:
    """Start ``process_key`` and complete 填报 as the starter; returns the instance id."""
    view = api.start_instance(
        process_key, starter_id=people.starter.id, data={"title": SUBJECT, "subject": SUBJECT}
    )
    db.session.commit()
    (fill,) = active_rows(view.id)
    api.complete_task(fill.id, actor_id=people.starter.id, data={"comment": COMMENT})
    db.session.commit()
    return view.id


def kinds(instance_id: int) -> list[str]:
    return [event.kind for event in api.history(instance_id)]


def events(instance_id: int, kind: str) -> list[api.EventView]:
    return [event for event in api.history(instance_id) if event.kind == kind]


def active_specs(instance_id: int) -> list[str]:
    return sorted(row.task_spec for row in active_rows(instance_id))
