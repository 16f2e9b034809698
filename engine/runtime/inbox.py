"""The inbox: queries over the human-task table only, never over engine state.

Boxes: ``todo`` (assigned to me, open or claimed), ``claimable`` (group tasks I may 签收),
``done`` (已办: completed by me), ``overdue`` (my open tasks past their due time). Instances I
started are listed by ``started_instances``. Every query is one indexed range plus a page of
rows (see the indexes on ``HumanTask``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, or_, select, true

from engine.runtime.models import HumanTask, HumanTaskCandidate, ProcessInstance
from services import clock
from services.db import db
from services.errors import ValidationFailed

BOXES = ("todo", "claimable", "done", "overdue")
SORTS = ("due", "created", "priority")
MAX_PER_PAGE = 200


@dataclass(frozen=True)
class TaskView:
    """A human task as listed and opened by users."""

    id: int
    instance_id: int
    process_key: str
    task_spec: str
    name: str
    title: str
    business_key: str | None
    form_key: str | None
    assignee_id: int | None
    status: str
    priority: int
    urgency: str
    due_at: datetime | None
    created_at: datetime
    claimed_at: datetime | None
    completed_at: datetime | None
    completed_by_id: int | None
    # 加签 rows are kind "addsign"; a delegated task names the delegator (委托, both see it).
    kind: str = "task"
    delegated_from_id: int | None = None

    @property
    def overdue(self) -> bool:
        return self.due_at is not None and self.completed_at is None and self.due_at < clock.now()


@dataclass(frozen=True)
class InstanceView:
    """A process instance as listed (never its engine state)."""

    id: int
    process_key: str
    version_id: int
    business_key: str | None
    title: str
    status: str
    starter_id: int
    urgency: str
    revision: int
    created_at: datetime
    ended_at: datetime | None


@dataclass(frozen=True)
class InboxFilters:
    """What to list: the box, optional narrowing, and the order."""

    box: str = "todo"
    process_key: str | None = None
    urgency: str | None = None
    keyword: str | None = None
    sort: str = "due"
    # Creation-time range [created_from, created_to) in UTC; either end may be open.
    created_from: datetime | None = None
    created_to: datetime | None = None
    # The instance's unit (the unit of its starter, which owns the document).
    unit_id: int | None = None


@dataclass(frozen=True)
class Page:
    """One page of a listing; ``total`` counts all matching rows."""

    items: list[Any]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def task_view(row: HumanTask) -> TaskView:
    """The listing shape of a task row."""
    return TaskView(
        id=row.id,
        instance_id=row.instance_id,
        process_key=row.process_key,
        task_spec=row.task_spec,
        name=row.name,
        title=row.title,
        business_key=row.business_key,
        form_key=row.form_key,
        assignee_id=row.assignee_id,
        status=row.status,
        priority=row.priority,
        urgency=row.urgency,
        due_at=clock.as_utc(row.due_at) if row.due_at else None,
        created_at=clock.as_utc(row.created_at),
        claimed_at=clock.as_utc(row.claimed_at) if row.claimed_at else None,
        completed_at=clock.as_utc(row.completed_at) if row.completed_at else None,
        completed_by_id=row.completed_by_id,
        kind=row.kind,
        delegated_from_id=row.delegated_from_id,
    )


def instance_view(row: ProcessInstance) -> InstanceView:
    """The listing shape of an instance row."""
    return InstanceView(
        id=row.id,
        process_key=row.process_key,
        version_id=row.version_id,
        business_key=row.business_key,
        title=row.title,
        status=row.status,
        starter_id=row.starter_id,
        urgency=row.urgency,
        revision=row.revision,
        created_at=clock.as_utc(row.created_at),
        ended_at=clock.as_utc(row.ended_at) if row.ended_at else None,
    )


def inbox(
    user_id: int, *, filters: InboxFilters | None = None, page: int = 1, per_page: int = 50
) -> Page:
    """One page of a user's box of tasks."""
    filters = filters or InboxFilters()
    _check(filters, page, per_page)
    query = _narrow(_box_query(user_id, filters.box), filters)
    # Count on the id only, so PostgreSQL can answer from the inbox index alone.
    total = db.session.scalar(query.with_only_columns(func.count(HumanTask.id))) or 0
    rows = db.session.scalars(
        query.order_by(*_order(filters)).limit(per_page).offset((page - 1) * per_page)
    )
    return Page([task_view(row) for row in rows], total, page, per_page)


def _check(filters: InboxFilters, page: int, per_page: int) -> None:
    if filters.box not in BOXES:
        raise ValidationFailed("未知的待办分类", errors={"box": f"应为 {'、'.join(BOXES)} 之一"})
    if filters.sort not in SORTS:
        raise ValidationFailed("未知的排序方式", errors={"sort": f"应为 {'、'.join(SORTS)} 之一"})
    if page < 1 or not 1 <= per_page <= MAX_PER_PAGE:
        raise ValidationFailed("分页参数有误", errors={"page": f"每页 1 到 {MAX_PER_PAGE} 条"})


def _box_query(user_id: int, box: str) -> Select[Any]:
    query = select(HumanTask)
    if box == "todo":
        return query.where(HumanTask.assignee_id == user_id, HumanTask.active == true())
    if box == "overdue":
        return query.where(
            HumanTask.assignee_id == user_id,
            HumanTask.active == true(),
            HumanTask.due_at < clock.now(),
        )
    if box == "claimable":
        return query.join(HumanTaskCandidate, HumanTaskCandidate.task_id == HumanTask.id).where(
            HumanTaskCandidate.user_id == user_id,
            HumanTask.active == true(),
            HumanTask.assignee_id.is_(None),
        )
    return query.where(HumanTask.completed_by_id == user_id)


def _narrow(query: Select[Any], filters: InboxFilters) -> Select[Any]:
    if filters.process_key:
        query = query.where(HumanTask.process_key == filters.process_key)
    if filters.urgency:
        query = query.where(HumanTask.urgency == filters.urgency)
    if filters.keyword:
        pattern = f"%{_escape_like(filters.keyword.strip())}%"
        # 标题或文号 (the business key carries the document number).
        query = query.where(
            or_(
                HumanTask.title.like(pattern, escape="\\"),
                HumanTask.business_key.like(pattern, escape="\\"),
            )
        )
    if filters.created_from:
        query = query.where(HumanTask.created_at >= filters.created_from)
    if filters.created_to:
        query = query.where(HumanTask.created_at < filters.created_to)
    if filters.unit_id is not None:
        units = select(ProcessInstance.id).where(ProcessInstance.starter_unit_id == filters.unit_id)
        query = query.where(HumanTask.instance_id.in_(units))
    return query


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _order(filters: InboxFilters) -> list[Any]:
    if filters.box == "done":
        return [HumanTask.completed_at.desc(), HumanTask.id.desc()]
    if filters.sort == "created":
        return [HumanTask.created_at.desc(), HumanTask.id.desc()]
    if filters.sort == "priority":
        return [HumanTask.priority.desc(), HumanTask.due_at.asc().nulls_last(), HumanTask.id]
    # Matches the inbox index (assignee_id, active, due_at, id); tasks without a deadline last.
    return [HumanTask.due_at.asc().nulls_last(), HumanTask.id]


def started_instances(user_id: int, *, page: int = 1, per_page: int = 50) -> Page:
    """Instances the user started, newest first."""
    _check(InboxFilters(), page, per_page)
    where = ProcessInstance.starter_id == user_id
    total = db.session.scalar(select(func.count()).where(where)) or 0
    rows = db.session.scalars(
        select(ProcessInstance)
        .where(where)
        .order_by(ProcessInstance.created_at.desc(), ProcessInstance.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    return Page([instance_view(row) for row in rows], total, page, per_page)
