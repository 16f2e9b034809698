"""Driving the approval process of the runtime tests to a chosen point."""

from __future__ import annotations

from typing import Any

from engine import api
from tests.engine.runtime.helpers import SUBJECT, active_rows, deploy_approval, start_approval

# (who, expected task spec, submitted data); "starter"/"reviewer" name fields of People.
APPROVE = [
    ("starter", "draft", {"subject": SUBJECT}),
    ("reviewer", "review", {"approved": True, "opinion": "同意"}),
]
REJECT_THEN_APPROVE = [
    ("starter", "draft", {"subject": SUBJECT}),
    ("reviewer", "review", {"approved": False, "opinion": "请补充依据"}),
    ("starter", "draft", {"subject": SUBJECT + "（修改）"}),
    ("reviewer", "review", {"approved": True, "opinion": "同意"}),
]


def run_approval(people: Any, steps: list[tuple[str, str, dict[str, Any]]]) -> int:
    """Deploy and start the approval process, then complete ``steps``; returns the instance id."""
    deploy_approval()
    view = start_approval(people)
    for who, spec, data in steps:
        advance(people, view.id, who, spec, data)
    return view.id


def advance(people: Any, instance_id: int, who: str, spec: str, data: dict[str, Any]) -> None:
    """Complete the instance's only open task, which must be ``spec``, and commit."""
    from services.db import db

    (row,) = active_rows(instance_id)
    assert row.task_spec == spec
    api.complete_task(row.id, actor_id=getattr(people, who).id, data=data)
    db.session.commit()
