"""Pieces the 发文, 签报 and 收文 queries share: pages of results, checks of filter choices, and
the SQL helpers (Beijing day boundaries, date ranges, keyword and equality filters, ``LIKE``
escaping, ranking by a list of choices)."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, Select, case, func, or_, select

from services.db import db
from services.errors import ValidationFailed
from services.gongwen.documents import BEIJING

T = TypeVar("T")
MAX_PER_PAGE = 100


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of results; ``total`` counts every match."""

    items: list[T]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def paged(stmt: Select[Any], page: int, per_page: int) -> Page[Any]:
    """Count every row of ``stmt`` and fetch page ``page`` (per_page capped at 100)."""
    page, per_page = max(1, page), min(max(1, per_page), MAX_PER_PAGE)
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    items = list(db.session.scalars(stmt.limit(per_page).offset((page - 1) * per_page)))
    return Page(items, total or 0, page, per_page)


# (field, given value, allowed values, message): one choice a filter must respect.
Choice = tuple[str, Any, Collection[Any], str]


def check_choices(choices: Iterable[Choice], message: str, errors: dict[str, str]) -> None:
    """Add the message of each given value outside its choices to ``errors``; raise
    :class:`ValidationFailed` with ``message`` when any error is present."""
    for name, value, allowed, text in choices:
        if value and value not in allowed:
            errors[name] = text
    if errors:
        raise ValidationFailed(message, errors=errors)


def check_range(name: str, first: date | None, last: date | None, errors: dict[str, str]) -> None:
    """Add an error under ``name`` (the end field) when ``last`` is before ``first``."""
    if first and last and first > last:
        errors[name] = "结束日期不能早于开始日期"


def day_start(day: date) -> datetime:
    """The first instant of a Beijing calendar day."""
    return datetime.combine(day, time.min, BEIJING)


def escape_like(text: str) -> str:
    """``text`` with ``LIKE`` wildcards escaped (escape character ``\\``)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def contains(column: Any, text: str) -> ColumnElement[bool]:
    """``column`` contains ``text``, case-insensitively, wildcards taken literally."""
    return column.ilike(f"%{escape_like(text)}%", escape="\\")


def within_days(column: Any, first: date | None, last: date | None) -> list[ColumnElement[bool]]:
    """Conditions keeping the timestamp ``column`` within the Beijing days [first, last]; a
    missing end leaves that side open."""
    found: list[ColumnElement[bool]] = []
    if first is not None:
        found.append(column >= day_start(first))
    if last is not None:
        found.append(column < day_start(last + timedelta(days=1)))
    return found


def within_dates(column: Any, first: date | None, last: date | None) -> list[ColumnElement[bool]]:
    """Conditions keeping the date ``column`` within [first, last]; a missing end is open."""
    found: list[ColumnElement[bool]] = []
    if first is not None:
        found.append(column >= first)
    if last is not None:
        found.append(column <= last)
    return found


def equal_to(pairs: Iterable[tuple[Any, Any]]) -> list[ColumnElement[bool]]:
    """``column == value`` for each ``(column, value)`` whose value is given (not empty)."""
    return [column == value for column, value in pairs if value]


def keyword_in(keyword: str | None, *columns: Any) -> list[ColumnElement[bool]]:
    """One condition: any of ``columns`` contains the stripped ``keyword``; none without one."""
    word = (keyword or "").strip()
    return [or_(*(contains(column, word) for column in columns))] if word else []


def rank(column: Any, order: Iterable[str]) -> Any:
    """A sort expression ordering ``column`` as the values in ``order`` (unknown values last)."""
    ranks = {value: position for position, value in enumerate(order)}
    return case(ranks, value=column, else_=len(ranks))


def sorted_select(
    entity: Any, conditions: Iterable[Any], column: Any, tie: Any, *, descending: bool
) -> Select[Any]:
    """Rows of ``entity`` meeting every condition, by ``column`` then ``tie`` (see
    :func:`ordering`)."""
    return select(entity).where(*conditions).order_by(*ordering(column, tie, descending=descending))


def ordering(column: Any, tie: Any, *, descending: bool) -> tuple[Any, Any, Any]:
    """``ORDER BY`` terms: ``column`` with NULLs last in both directions on both databases,
    then ``tie`` (an id) in the same direction."""
    nulls_last = case((column.is_(None), 1), else_=0)
    if descending:
        return nulls_last, column.desc(), tie.desc()
    return nulls_last, column.asc(), tie.asc()
