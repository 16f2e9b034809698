"""公文办理分析: handling statistics of human tasks per node, optionally per unit or per person.

The source is the human-task table: every ``task`` row (not 加签 rows, not cancelled ones)
created within the period (Beijing dates, both ends included) of the chosen processes.

- handled: rows completed; their handling time is ``completed_at - created_at``; the average and
  the P90 (nearest rank: the smallest duration not exceeded by 90 % of them) are computed in
  Python, so SQLite and PostgreSQL give the same numbers;
- overdue: rows completed after their ``due_at``, or still open past it, or escalated as overdue
  (``gongwen.escalate``: a step whose 办理期限 is a boundary timer of the process, such as 收文
  承办 by the registered date, has no ``due_at``); the rate is overdue over all rows of the group
  (handled and open);
- reminders: 催办 by hand (``task_urged`` events naming the row), by timer (``service_called``
  events of ``notify.remind`` in the row's instance while the row was open) and the 超期督办 an
  escalation sends to the row's people.

The unit of a row is its person's unit; its person is who completed it, else its assignee.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, timezone

from sqlalchemy import select

from engine.runtime.models import HumanTask, InstanceEvent, ProcessInstance
from services import clock
from services.db import db
from services.errors import ValidationFailed
from services.org.models import User

BEIJING = timezone(timedelta(hours=8), "Asia/Shanghai")
GROUPINGS = ("node", "unit", "person")
REMIND_SERVICE = "notify.remind"
ESCALATE_SERVICE = "gongwen.escalate"
MAX_DAYS = 3660


@dataclass(frozen=True)
class AnalysisQuery:
    """What to analyse: processes, a period of Beijing dates, the starter unit, the grouping."""

    process_keys: tuple[str, ...]
    date_from: date
    date_to: date
    unit_id: int | None = None  # only instances started in this unit (None: every unit)
    group_by: str = "node"


@dataclass(frozen=True)
class NodeStats:
    """The figures of one group: a node, or a node within a unit, or a node of one person."""

    process_key: str
    task_spec: str
    name: str
    unit_id: int | None
    user_id: int | None
    total: int
    handled: int
    avg_seconds: float | None
    p90_seconds: float | None
    overdue: int
    reminders: int

    @property
    def overdue_rate(self) -> float:
        """Overdue rows over all rows of the group (0.0 for an empty group)."""
        return self.overdue / self.total if self.total else 0.0


@dataclass
class _Group:
    name: str = ""
    total: int = 0
    durations: list[float] = field(default_factory=list)
    overdue: int = 0
    reminders: int = 0


def p90(values: list[float]) -> float | None:
    """The nearest-rank 90th percentile of ``values`` (None when empty)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)]


def task_analysis(query: AnalysisQuery) -> list[NodeStats]:
    """The statistics of ``query``, ordered by process, node, unit and person."""
    _check(query)
    rows = _rows(query)
    reminders, escalated = _reminders(rows)
    units = _units({_person(row) for row in rows} - {None})
    now = clock.now()
    groups: dict[tuple[str, str, int | None, int | None], _Group] = defaultdict(_Group)
    for row in rows:
        person = _person(row)
        unit = units.get(person) if person is not None else None
        key = _key(query.group_by, row, unit, person)
        _add(groups[key], row, now, reminders.get(row.id, 0), row.id in escalated)
    return [_stats(key, group) for key, group in sorted(groups.items(), key=_order)]


def _check(query: AnalysisQuery) -> None:
    if query.group_by not in GROUPINGS:
        raise ValidationFailed("统计维度不正确", errors={"group_by": "应为按环节、按单位或按人员"})
    if query.date_to < query.date_from:
        raise ValidationFailed("统计期间不正确", errors={"date_to": "截止日期不能早于开始日期"})
    if (query.date_to - query.date_from).days > MAX_DAYS:
        raise ValidationFailed("统计期间过长", errors={"date_to": "统计期间不能超过十年"})


def _bounds(query: AnalysisQuery) -> tuple[datetime, datetime]:
    start = datetime.combine(query.date_from, time(), BEIJING)
    end = datetime.combine(query.date_to + timedelta(days=1), time(), BEIJING)
    return start.astimezone(UTC), end.astimezone(UTC)


def _rows(query: AnalysisQuery) -> list[HumanTask]:
    start, end = _bounds(query)
    stmt = select(HumanTask).where(
        HumanTask.process_key.in_(query.process_keys),
        HumanTask.kind == "task",
        HumanTask.status != "cancelled",
        HumanTask.created_at >= start,
        HumanTask.created_at < end,
    )
    if query.unit_id is not None:
        stmt = stmt.join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id).where(
            ProcessInstance.starter_unit_id == query.unit_id
        )
    return list(db.session.scalars(stmt.order_by(HumanTask.id)))


def _person(row: HumanTask) -> int | None:
    return row.completed_by_id if row.completed_by_id is not None else row.assignee_id


def _units(user_ids: Collection[int | None]) -> dict[int | None, int | None]:
    if not user_ids:
        return {}
    stmt = select(User.id, User.unit_id).where(User.id.in_(user_ids))
    return {user_id: unit_id for user_id, unit_id in db.session.execute(stmt)}


def _key(
    group_by: str, row: HumanTask, unit: int | None, person: int | None
) -> tuple[str, str, int | None, int | None]:
    if group_by == "unit":
        return (row.process_key, row.task_spec, unit, None)
    if group_by == "person":
        return (row.process_key, row.task_spec, unit, person)
    return (row.process_key, row.task_spec, None, None)


def _add(group: _Group, row: HumanTask, now: datetime, reminders: int, escalated: bool) -> None:
    group.name = row.name
    group.total += 1
    group.reminders += reminders
    created = clock.as_utc(row.created_at)
    due = clock.as_utc(row.due_at) if row.due_at is not None else None
    if row.completed_at is not None:
        completed = clock.as_utc(row.completed_at)
        group.durations.append((completed - created).total_seconds())
        group.overdue += escalated or (due is not None and completed > due)
    else:
        group.overdue += escalated or (due is not None and now > due)


def _reminders(rows: list[HumanTask]) -> tuple[dict[int, int], set[int]]:
    """How many reminders each row got (by hand, by timer or by an escalation while it was
    open), and the rows an escalation found overdue."""
    counts: dict[int, int] = defaultdict(int)
    escalated: set[int] = set()
    by_instance: dict[int, list[HumanTask]] = defaultdict(list)
    for row in rows:
        by_instance[row.instance_id].append(row)
    for event in _reminder_events(by_instance):
        reminded = _reminded_rows(event, by_instance[event.instance_id])
        for row in reminded:
            counts[row.id] += 1
        if (event.data or {}).get("service") == ESCALATE_SERVICE:
            escalated.update(row.id for row in reminded)
    return counts, escalated


def _reminder_events(by_instance: dict[int, list[HumanTask]]) -> Iterable[InstanceEvent]:
    ids = list(by_instance)
    for start in range(0, len(ids), 500):
        stmt = select(InstanceEvent).where(
            InstanceEvent.instance_id.in_(ids[start : start + 500]),
            InstanceEvent.kind.in_(("task_urged", "service_called")),
        )
        yield from db.session.scalars(stmt)


def _reminded_rows(event: InstanceEvent, rows: list[HumanTask]) -> list[HumanTask]:
    data = event.data or {}
    if event.kind == "task_urged":
        return [row for row in rows if row.id == data.get("task_id")]
    service = data.get("service")
    if service not in (REMIND_SERVICE, ESCALATE_SERVICE):
        return []
    at = clock.as_utc(event.at)
    open_rows = [row for row in rows if _open_at(row, at)]
    if service == ESCALATE_SERVICE:
        named = _escalated_ids(data.get("result"))
        return open_rows if named is None else [row for row in open_rows if row.id in named]
    return open_rows


def _escalated_ids(result: object) -> set[int] | None:
    """The row ids an escalation's result names (``{"overdue": [ids], ...}``); None when the
    stored summary cannot tell (cut at its length limit)."""
    try:
        overdue = json.loads(result).get("overdue") if isinstance(result, str) else None
    except (ValueError, AttributeError):
        return None
    return {i for i in overdue if isinstance(i, int)} if isinstance(overdue, list) else None


def _open_at(row: HumanTask, at: datetime) -> bool:
    if clock.as_utc(row.created_at) > at:
        return False
    return row.completed_at is None or clock.as_utc(row.completed_at) >= at


def _order(item: tuple[tuple[str, str, int | None, int | None], _Group]) -> tuple[object, ...]:
    (process_key, task_spec, unit, person), _ = item
    return (process_key, task_spec, unit or 0, person or 0)


def _stats(key: tuple[str, str, int | None, int | None], group: _Group) -> NodeStats:
    durations = group.durations
    return NodeStats(
        process_key=key[0],
        task_spec=key[1],
        name=group.name,
        unit_id=key[2],
        user_id=key[3],
        total=group.total,
        handled=len(durations),
        avg_seconds=sum(durations) / len(durations) if durations else None,
        p90_seconds=p90(durations),
        overdue=group.overdue,
        reminders=group.reminders,
    )
