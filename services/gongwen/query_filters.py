"""Pieces the 发文 and 收文 queries share: pages of results, checks of filter choices, and the
SQL helpers (Beijing day boundaries, ``LIKE`` escaping, ranking by a list of choices)."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, Select, case, func, select

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


def day_start(day: date) -> datetime:
    """The first instant of a Beijing calendar day."""
    return datetime.combine(day, time.min, BEIJING)


def escape_like(text: str) -> str:
    """``text`` with ``LIKE`` wildcards escaped (escape character ``\\``)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def contains(column: Any, text: str) -> ColumnElement[bool]:
    """``column`` contains ``text``, case-insensitively, wildcards taken literally."""
    return column.ilike(f"%{escape_like(text)}%", escape="\\")


def rank(column: Any, ranks: dict[str, int]) -> Any:
    """A sort expression ordering ``column`` by ``ranks`` (unknown values last)."""
    return case(ranks, value=column, else_=len(ranks))


def ordering(column: Any, tie: Any, *, descending: bool) -> tuple[Any, Any, Any]:
    """``ORDER BY`` terms: ``column`` with NULLs last in both directions on both databases,
    then ``tie`` (an id) in the same direction."""
    nulls_last = case((column.is_(None), 1), else_=0)
    if descending:
        return nulls_last, column.desc(), tie.desc()
    return nulls_last, column.asc(), tie.asc()
