"""Human-task rows of the start/complete path: read under the lock, created, closed.

A row is created (``create_row``, the one place) for every manual task that became READY, with
its assignee (BPMN rule, 退回 override, then 委托), due time, priority and title; a row whose
engine task went away is closed as cancelled (``sync_human_tasks``). Rows are written with the
Core statements of ``writes``; nothing here commits.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import and_, bindparam, or_, select, true

from engine import assignment, deadlines
from engine.errors import EngineError
from engine.runtime import addsign, delegation, task_notices, writes
from engine.runtime.direct import Direct
from engine.runtime.models import HumanTask, HumanTaskCandidate
from engine.runtime.reads import adopt_all, columns_of, table_of
from engine.runtime.step import TASK_TAKEN_MESSAGE, Step, task_name
from services import clock
from services.db import db
from services.errors import Conflict, NotFound

# Statements of the start/complete path, built once: building and keying a statement costs
# about as much as SQLite takes to run it.
_TASK_ROW = select(HumanTask).where(HumanTask.id == bindparam("task_id"))
# The open rows are Core reads adopted as objects (``reads``), with the values just read:
# objects loaded before the lock may be stale.
_TASKS = table_of(HumanTask)
_OPEN_ROWS = Direct(
    columns_of(HumanTask).where(
        _TASKS.c.instance_id == bindparam("instance_id"), _TASKS.c.active == true()
    )
)
_ROWS_FOR_COMPLETION = Direct(
    columns_of(HumanTask).where(
        # Each side of the OR has its own index: rows completed long ago are never read.
        or_(
            and_(_TASKS.c.instance_id == bindparam("instance_id"), _TASKS.c.active == true()),
            _TASKS.c.parent_id == bindparam("task_id"),
        ),
    )
)


def get_task_row(task_id: int, *, fresh: bool = False) -> HumanTask:
    """The task row ``task_id`` (re-read from the database when ``fresh``); ``NotFound``."""
    options = {"populate_existing": True} if fresh else {}
    row = db.session.scalars(_TASK_ROW, {"task_id": task_id}, execution_options=options).first()
    if row is None:
        raise NotFound("待办任务不存在", task_id=task_id)
    return row


def is_candidate(task_id: int, user_id: int) -> bool:
    """Whether ``user_id`` is one of the candidates of group task ``task_id``."""
    return db.session.get(HumanTaskCandidate, (task_id, user_id)) is not None


def open_rows(instance_id: int) -> list[HumanTask]:
    """The active task rows, re-read: objects loaded before the lock may be stale."""
    return adopt_all(HumanTask, _OPEN_ROWS.all({"instance_id": instance_id}))


def rows_for_completion(instance_id: int, task_id: int) -> tuple[list[HumanTask], bool]:
    """The active rows (as ``open_rows``) and whether task ``task_id`` has live 加签 rows.

    One query instead of three: the 加签 rows of the task (any status) come along with the
    active rows, and are told apart here with the statuses ``addsign.gate`` looks at.
    """
    params = {"instance_id": instance_id, "task_id": task_id}
    rows = adopt_all(HumanTask, _ROWS_FOR_COMPLETION.all(params))
    live = ("open", "claimed", addsign.WAITING)
    signers = any(r.parent_id == task_id and r.status in live for r in rows)
    return [r for r in rows if r.active and r.instance_id == instance_id], signers


def pick_open(rows: list[HumanTask], task_id: int) -> HumanTask:
    """Row ``task_id`` among the open ``rows``; ``Conflict`` when someone else closed it."""
    for row in rows:
        if row.id == task_id:
            return row
    raise Conflict(TASK_TAKEN_MESSAGE, task_id=task_id)


def sync_human_tasks(step: Step, rows: list[HumanTask]) -> None:
    """Rows for manual tasks that became READY; cancel rows whose task went away."""
    ready = {
        str(task.id): task for task in step.workflow.get_tasks(state=TaskState.READY, manual=True)
    }
    for row in rows:
        if row.engine_task_id not in ready:
            close_row(row, "cancelled", None)
            step.log.append("task_cancelled", task_spec=row.task_spec, task_name=row.name)
    known = {row.engine_task_id for row in rows}
    for spiff_id, task in ready.items():
        if spiff_id not in known:
            create_row(step, task)


def close_row(row: HumanTask, status: str, actor_id: int | None) -> None:
    """Close ``row`` as ``status`` (completed, cancelled ...) by ``actor_id``."""
    values = {"status": status, "active": False, "completed_at": clock.now()}
    writes.update_task(row, {**values, "completed_by_id": actor_id})


def create_row(step: Step, task: Any) -> int:
    """The one place a human-task row is created (with its candidates); returns its id."""
    instance = step.instance
    props = properties(task)
    assigned, delegated_from, choosers = delegation.redirect(
        _assign(step, task, props),
        instance.process_key,
        override=step.assignee_overrides.get(task.task_spec.bpmn_id),
    )
    assignee_id = assigned.user_ids[0] if len(assigned.user_ids) == 1 else None
    values = {
        "instance_id": instance.id,
        "spiff_task_id": str(task.id),
        "task_spec": task.task_spec.bpmn_id or task.task_spec.name,
        "name": task_name(task),
        "process_key": instance.process_key,
        "form_key": props.get("formKey") or None,
        "assignee_id": assignee_id,
        "delegated_from_id": delegated_from,
        "status": "open",
        "active": True,
        "priority": _priority(props),
        "urgency": instance.urgency,
        "due_at": _due_at(step, task, props),
        "title": _task_title(step, task, props),
        "business_key": instance.business_key,
        "created_at": clock.now(),
    }
    candidates = _candidates(assigned) if assignee_id is None else []
    row_id = writes.insert_task(values, candidates)
    people = [assignee_id] if assignee_id is not None else candidates
    step.notices.append(
        task_notices.notice(
            row_id, values["name"], values["title"], instance.urgency, people, choosers=choosers
        )
    )
    step.log.append(
        "task_created",
        task_spec=values["task_spec"],
        task_name=values["name"],
        data={
            "spiff_task_id": values["spiff_task_id"],
            "assignee_id": assignee_id,
            "candidates": candidates,
            "delegated_from": delegated_from,
        },
    )
    return row_id


def properties(task: Any) -> dict[str, str]:
    """The Spiff ``properties`` extension of a task (assignee, formKey, dueIn ...)."""
    extensions = getattr(task.task_spec, "extensions", None) or {}
    return dict(extensions.get("properties") or {})


# Parsing a rule is pure: each distinct text of a deployed spec is parsed once per process.
_parse_rule = lru_cache(maxsize=1024)(assignment.parse_rule)


def _assign(step: Step, task: Any, props: dict[str, str]) -> assignment.Assignment:
    """Resolve the task's assignee rule; a task without one goes to the starter."""
    text = props.get("assignee")
    try:
        rule = _parse_rule(text)
        return assignment.resolve(
            rule,
            data=task.data,
            starter_id=step.instance.starter_id,
            decide=step.loaded.decide,
        )
    except ValueError as exc:
        raise _task_error(step, task, f"办理人规则“{text}”无法解析：{exc}") from exc
    except EngineError as exc:
        raise _task_error(step, task, exc.message) from exc


def _candidates(assigned: assignment.Assignment) -> list[int]:
    return sorted(set(assigned.user_ids) | set(assigned.candidate_user_ids))


def _task_error(step: Step, task: Any, message: str) -> EngineError:
    return EngineError(
        f"任务“{task_name(task)}”：{message}",
        process_key=step.instance.process_key,
        instance_id=step.instance.id,
        task_spec=task.task_spec.bpmn_id,
    )


def _priority(props: dict[str, str]) -> int:
    try:
        return int(props.get("priority") or 0)
    except ValueError:
        return 0


def _due_at(step: Step, task: Any, props: dict[str, str]) -> datetime | None:
    text = (props.get("dueIn") or "").strip()
    if not text:
        return None
    if not _is_literal(text):  # e.g. deadlines by 紧急程度 computed by a service
        try:
            text = str(step.workflow.script_engine.evaluate(task, text)).strip()
        except SpiffWorkflowException as exc:
            raise _task_error(step, task, f"办理期限表达式出错：{exc}") from exc
    try:
        parsed = _parse_duration(text)
        now = clock.now()
        return now + _timedelta_from(parsed, now)
    except (ValueError, TypeError) as exc:
        raise _task_error(
            step, task, f"办理期限“{text}”不是 ISO-8601 时长（如 P3D、PT4H）"
        ) from exc


# Pure functions of the text, cached (``dueIn`` literals repeat on every task of a spec).
_is_literal = lru_cache(maxsize=1024)(deadlines.is_literal)


@lru_cache(maxsize=1024)
def _parse_duration(text: str) -> dict[str, float]:
    parsed: dict[str, float] = TimerEventDefinition.parse_iso_duration(text)
    return parsed


def _timedelta_from(parsed: dict[str, float], now: datetime) -> timedelta:
    # Spiff pops from the dict it is given: the cached one is copied.
    delta: timedelta = TimerEventDefinition.get_timedelta_from_start(dict(parsed), start=now)
    return delta


def _task_title(step: Step, task: Any, props: dict[str, str]) -> str:
    expression = (props.get("title") or "").strip()
    if not expression:
        return step.instance.title
    try:
        return str(step.workflow.script_engine.evaluate(task, expression))[:300]
    except SpiffWorkflowException as exc:
        raise _task_error(step, task, f"任务标题表达式出错：{exc}") from exc
