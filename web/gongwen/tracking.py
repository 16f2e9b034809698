"""Where each 发文 is: its current step, who holds it and how long it has waited there.

The open tasks come from the engine; a wait is "long" once the step has taken longer than the
发文 deadline for the document's 紧急程度 (setting ``fawen_deadlines``) or its task is overdue.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from engine import api
from services import clock
from services.config import current_settings
from services.gongwen import queries
from services.gongwen.deadlines import parse_deadlines
from services.gongwen.models import GongwenDocument

NO_STEP = "—"
URGENCY_WORDS = {"normal": "平件", "urgent": "加急", "very_urgent": "特急"}


@dataclass(frozen=True)
class Where:
    """The document's place in its process; ``since`` is None when nothing waits."""

    step: str = NO_STEP
    holder: str = ""
    since: datetime | None = None
    long_wait: bool = False

    def waited(self, now: datetime) -> timedelta:
        return now - self.since if self.since is not None else timedelta(0)


def where_documents_are(documents: Iterable[tuple[int, int | None, str]]) -> dict[int, Where]:
    """``Where`` for each ``(document id, instance id, urgency)``; no instance or no open task
    gives the empty ``Where`` (step "—")."""
    rows = list(documents)
    tasks = api.open_tasks_for([i for _, i, _ in rows if i is not None])
    every_task = [t for found in tasks.values() for t in found]
    candidates = api.task_candidates([t.id for t in every_task if t.assignee_id is None])
    people = {t.assignee_id for t in every_task} | {u for us in candidates.values() for u in us}
    names = queries.user_names(people)
    limits = parse_deadlines(current_settings().fawen_deadlines)
    now = clock.now()
    found: dict[int, Where] = {}
    for document_id, instance_id, urgency in rows:
        open_tasks = tasks.get(instance_id, []) if instance_id is not None else []
        if not open_tasks:
            found[document_id] = Where()
            continue
        since = min(t.created_at for t in open_tasks)
        limit = limits.get(URGENCY_WORDS.get(urgency, "平件"), (timedelta(days=3), None))[0]
        found[document_id] = Where(
            step="、".join(dict.fromkeys(t.name for t in open_tasks)),
            holder="、".join(_holder(t, candidates, names) for t in open_tasks),
            since=since,
            long_wait=now - since > limit or any(t.overdue for t in open_tasks),
        )
    return found


def _holder(task: api.TaskView, candidates: dict[int, list[int]], names: dict[int, str]) -> str:
    if task.assignee_id is not None:
        return names.get(task.assignee_id, "")
    offered = [names.get(u, "") for u in candidates.get(task.id, [])]
    return f"待签收（{'、'.join(offered)}）" if offered else "待签收"


def where_document_is(document: GongwenDocument) -> Where:
    """``Where`` of one document, for its page."""
    key = (document.id, document.instance_id, document.urgency)
    return where_documents_are([key])[document.id]
