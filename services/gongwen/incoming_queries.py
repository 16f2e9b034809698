"""Queries behind the 收文 pages: who may see which 收文 (data scope), the 收文查询 with its
filters, sorting and paging, the 收文登记本 and the 收文统计.

A unit's 收发员, 办公室主任 and leaders see all of the unit's 收文; anyone else only those they
take part in (signed for, returned, or had a task in: the caller asks the engine for those
instances and passes them as :attr:`IncomingScope.instance_ids`). Never another unit's.

The 收文日期 of a 收文 not yet registered is the Beijing date it was delivered.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, or_, select

from services.db import db
from services.errors import Forbidden, ValidationFailed
from services.gongwen import query_filters as qf
from services.gongwen.documents import BEIJING
from services.gongwen.exchange import FORBIDDEN
from services.gongwen.exchange_models import (
    CATEGORIES,
    RECEIPT_CLASSES,
    STATUSES,
    IncomingRecord,
)
from services.gongwen.models import GongwenDocument
from services.gongwen.receipt_classes import class_label, receipt_key, serial_patterns
from services.gongwen.register import Table

SORTS = (
    "receipt_number", "received", "from_unit", "title", "category", "receipt_class", "status",
    "deadline",
)  # fmt: skip
REGISTER_HEADERS = (
    "序号", "收文号", "收文日期", "来文单位", "来文文号", "标题", "类别",
    "密级", "份数", "办理期限", "状态", "收文类别",
)  # fmt: skip
REGISTER_WIDTHS = (6, 16, 12, 24, 22, 44, 8, 8, 6, 12, 8, 8)
# One page of 收文 (kept under its old name for the pages).
IncomingPage = qf.Page[IncomingRecord]
__all__ = ["IncomingPage", "receipt_key"]  # used by the pages and the tests


@dataclass(frozen=True)
class IncomingScope:
    """The 收文 a user may see: always within ``unit_id``; the whole unit for its keepers."""

    user_id: int
    unit_id: int
    whole_unit: bool = False
    # 收文 process instances (of this unit) the user started or had a task in.
    instance_ids: frozenset[int] = field(default_factory=frozenset)


@dataclass(frozen=True)
class IncomingFilters:
    """Narrowing and order of the 收文查询; dates are inclusive 收文日期 (Beijing)."""

    received_from: date | None = None
    received_to: date | None = None
    doc_number: str | None = None  # 来文文号, part of it
    receipt_number: str | None = None  # 收文编号, part of it
    serial: int | None = None  # 流水号: the sequence part of the 收文号
    receipt_class: str | None = None  # 收报/收抄/收办
    keyword: str | None = None  # in 标题 or 来文单位
    title: str | None = None
    from_unit: str | None = None
    category: str | None = None
    status: str | None = None
    sort: str = "received"
    descending: bool = True


def check_filters(filters: IncomingFilters) -> None:
    """Raise :class:`ValidationFailed` (Chinese, per field) for values outside the choices."""
    errors: dict[str, str] = {}
    if filters.serial is not None and not 1 <= filters.serial <= 999999:
        errors["serial"] = "流水号应为正整数"
    qf.check_range("received_to", filters.received_from, filters.received_to, errors)
    choices: list[qf.Choice] = [
        ("category", filters.category, CATEGORIES, "类别不正确"),
        ("receipt_class", filters.receipt_class, RECEIPT_CLASSES, "收文类别不正确"),
        ("status", filters.status, STATUSES, "状态不正确"),
        ("sort", filters.sort, SORTS, "不支持的排序方式"),
    ]
    qf.check_choices(choices, "查询条件有误", errors)


# ---------------------------------------------------------------- data scope


def unit_instance_ids(unit_id: int) -> list[int]:
    """The 收文 process instances of the unit, for the caller's participation lookup."""
    stmt = select(IncomingRecord.instance_id).where(
        IncomingRecord.unit_id == unit_id, IncomingRecord.instance_id.is_not(None)
    )
    return [i for i in db.session.scalars(stmt) if i is not None]


def _in_scope(scope: IncomingScope) -> ColumnElement[bool]:
    own_unit = IncomingRecord.unit_id == scope.unit_id
    if scope.whole_unit:
        return own_unit
    taken_part = [
        IncomingRecord.signed_by_id == scope.user_id,
        IncomingRecord.returned_by_id == scope.user_id,
    ]
    if scope.instance_ids:
        taken_part.append(IncomingRecord.instance_id.in_(sorted(scope.instance_ids)))
    return and_(own_unit, or_(*taken_part))


def visible_incoming(record_id: int, scope: IncomingScope) -> IncomingRecord:
    """The 收文 if it is in ``scope``; the same :class:`Forbidden` for unknown ids."""
    stmt = select(IncomingRecord).where(IncomingRecord.id == record_id, _in_scope(scope))
    record = db.session.scalars(stmt).first()
    if record is None:
        raise Forbidden(FORBIDDEN, record_id=record_id)
    return record


# ---------------------------------------------------------------- the query


def _received_between(first: date | None, last: date | None) -> ColumnElement[bool]:
    """收文日期 within [first, last]; unregistered 收文 count by their delivery date."""
    received = IncomingRecord.received_date
    registered = and_(received.is_not(None), *qf.within_dates(received, first, last))
    delivered = and_(received.is_(None), *qf.within_days(IncomingRecord.delivered_at, first, last))
    return or_(registered, delivered)


def _conditions(filters: IncomingFilters) -> list[ColumnElement[bool]]:
    record, doc = IncomingRecord, GongwenDocument
    found: list[ColumnElement[bool]] = []
    if filters.received_from or filters.received_to:
        found.append(_received_between(filters.received_from, filters.received_to))
    texts = (
        (filters.doc_number, record.from_doc_number),
        (filters.receipt_number, record.receipt_number),
        (filters.title, doc.title),
        (filters.from_unit, record.from_unit),
    )
    found += [qf.contains(column, text.strip()) for text, column in texts if text and text.strip()]
    found += qf.keyword_in(filters.keyword, doc.title, record.from_unit)
    if filters.serial is not None:
        found.append(or_(*(record.receipt_number.like(p) for p in serial_patterns(filters.serial))))
    chosen = (
        (record.category, filters.category),
        (record.receipt_class, filters.receipt_class),
        (record.status, filters.status),
    )
    return found + qf.equal_to(chosen)


def _sort_column(sort: str) -> Any:
    record = IncomingRecord
    columns = {
        "receipt_number": record.receipt_number,
        "received": record.received_date,
        "from_unit": record.from_unit,
        "title": GongwenDocument.title,
        "category": qf.rank(record.category, CATEGORIES),
        "receipt_class": qf.rank(record.receipt_class, RECEIPT_CLASSES),
        "status": qf.rank(record.status, STATUSES),
        "deadline": record.deadline,
    }
    return columns.get(sort, record.id)


def incoming_select(scope: IncomingScope, filters: IncomingFilters) -> Select[Any]:
    """The scope's 收文 matching ``filters`` in the filters' order (newest id breaks ties)."""
    record, column = IncomingRecord, _sort_column(filters.sort)
    conditions = (_in_scope(scope), *_conditions(filters))
    stmt = qf.sorted_select(record, conditions, column, record.id, descending=filters.descending)
    return stmt.join(GongwenDocument, GongwenDocument.id == record.document_id)


def list_incoming(
    scope: IncomingScope, filters: IncomingFilters, *, page: int = 1, per_page: int = 20
) -> IncomingPage:
    """A page of the 收文查询."""
    check_filters(filters)
    return qf.paged(incoming_select(scope, filters), page, per_page)


# ---------------------------------------------------------------- 收文登记本


def _month_range(year: int, month: int | None) -> tuple[date, date]:
    if month is None:
        return date(year, 1, 1), date(year, 12, 31)
    following = date(year + (month == 12), month % 12 + 1, 1)
    return date(year, month, 1), following - timedelta(days=1)


def register_records(
    scope: IncomingScope,
    year: int,
    month: int | None = None,
    category: str | None = None,
    receipt_class: str | None = None,
) -> list[IncomingRecord]:
    """The scope's registered 收文 of ``year`` (``month``, ``category``, 收文类别) in 收文号
    order: by class, then by the class's own sequence."""
    if month is not None and not 1 <= month <= 12:
        raise ValidationFailed("月份不正确", errors={"month": "月份应为 1 到 12"})
    first, last = _month_range(year, month)
    filters = IncomingFilters(
        received_from=first,
        received_to=last,
        category=category or None,
        receipt_class=receipt_class or None,
    )
    check_filters(filters)
    stmt = incoming_select(scope, filters).where(IncomingRecord.receipt_number.is_not(None))
    return sorted(db.session.scalars(stmt), key=lambda r: receipt_key(r.receipt_number))


def register_table(records: Iterable[IncomingRecord]) -> Table:
    """The 收文登记本 lines under :data:`REGISTER_HEADERS`."""
    lines = [_register_line(serial, r) for serial, r in enumerate(records, start=1)]
    return Table("收文登记本", REGISTER_HEADERS, lines, REGISTER_WIDTHS)


def _register_line(serial: int, record: IncomingRecord) -> list[str]:
    document = record.document
    return [
        str(serial),
        record.receipt_number or "",
        record.received_date.isoformat() if record.received_date else "",
        record.from_unit,
        record.from_doc_number,
        document.title,
        record.category,
        document.secrecy or "无",
        str(document.copies) if document.copies else "",
        record.deadline.isoformat() if record.deadline else "",
        record.status,
        class_label(record.receipt_class),
    ]


def register_title(
    unit_name: str,
    year: int,
    month: int | None = None,
    category: str | None = None,
    receipt_class: str | None = None,
) -> str:
    """``市财政局2025年3月收文登记本（请示）``; ``市财政局2025年收办登记本`` for one class."""
    period = f"{year}年{month}月" if month else f"{year}年"
    suffix = f"（{category}）" if category else ""
    book = f"{receipt_class}登记本" if receipt_class else "收文登记本"
    return f"{unit_name}{period}{book}{suffix}"


# ---------------------------------------------------------------- 收文统计


@dataclass(frozen=True)
class IncomingStats:
    """Counts of the scope's 收文 over a period, by each dimension (largest first)."""

    total: int
    by_category: list[tuple[str, int]]
    by_class: list[tuple[str, int]]
    by_from_unit: list[tuple[str, int]]
    by_month: list[tuple[str, int]]
    by_status: list[tuple[str, int]]


def _received_day(received: date | None, delivered: datetime) -> date:
    if received is not None:
        return received
    return delivered.astimezone(BEIJING).date()


def incoming_stats(scope: IncomingScope, first: date, last: date) -> IncomingStats:
    """收文统计 over the 收文日期 period [first, last] (inclusive)."""
    check_filters(IncomingFilters(received_from=first, received_to=last))
    record = IncomingRecord
    stmt = select(
        record.category,
        record.from_unit,
        record.status,
        record.received_date,
        record.delivered_at,
        record.receipt_class,
    ).where(_in_scope(scope), _received_between(first, last))
    rows = list(db.session.execute(stmt))
    months = Counter(_received_day(r[3], r[4]).strftime("%Y-%m") for r in rows)
    return IncomingStats(
        total=len(rows),
        by_category=_ordered(Counter(r[0] or "未分类" for r in rows), CATEGORIES),
        by_class=_ordered(Counter(class_label(r[5]) for r in rows), RECEIPT_CLASSES),
        by_from_unit=Counter(r[1] or "（未填写）" for r in rows).most_common(),
        by_month=sorted(months.items()),
        by_status=_ordered(Counter(r[2] for r in rows), STATUSES),
    )


def _ordered(counts: Counter[str], order: tuple[str, ...]) -> list[tuple[str, int]]:
    known = [(name, counts[name]) for name in order if counts[name]]
    return known + [(name, n) for name, n in counts.items() if name not in order]


def stats_tables(stats: IncomingStats) -> list[Table]:
    """The statistics as printable tables, one per dimension, each with a 合计 line."""
    dimensions = (
        ("按类别", "类别", stats.by_category),
        ("按来文单位", "来文单位", stats.by_from_unit),
        ("按月份", "月份", stats.by_month),
        ("按状态", "状态", stats.by_status),
        ("按收文类别", "收文类别", stats.by_class),
    )
    total = [["合计", str(stats.total)]]
    return [
        Table(name, (label, "件数"), [[k, str(n)] for k, n in counts] + total, (24, 10))
        for name, label, counts in dimensions
    ]
