"""Working-day arithmetic on the calendar: is_workday, next_workday, add_workdays.

Dates are Beijing dates; datetimes are converted to Beijing time, keep their time of day, and
come back in UTC. The table is read once per call for the whole window a call needs, so a
loop over a long 春节 costs one query.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from typing import overload

from sqlalchemy import select

from services import clock
from services.calendar.models import WORKDAY, CalendarDay
from services.calendar.schedule import bundled_entries
from services.db import db

BEIJING = timezone(timedelta(hours=8), "Asia/Shanghai")
# Longest run of days off we look through at once (春节 with weekends is 9-10 days).
_WINDOW = timedelta(days=40)


@dataclass(frozen=True)
class Window:
    """The calendar's exceptions for ``first``..``last`` (inclusive), for repeated lookups."""

    first: date
    last: date
    exceptions: dict[date, str]

    def is_workday(self, day: date) -> bool:
        """Monday-Friday unless a holiday; a weekend day only as a make-up workday."""
        kind = self.exceptions.get(day)
        if kind is not None:
            return kind == WORKDAY
        return day.weekday() < 5


def window(first: date, last: date) -> Window:
    """The exceptions between two dates: table rows, or the bundled schedule for a year that
    has no row in the table."""
    rows = db.session.execute(
        select(CalendarDay.day, CalendarDay.kind, CalendarDay.year).where(
            CalendarDay.day.between(date(first.year, 1, 1), date(last.year, 12, 31))
        )
    ).all()
    managed = {year for _, _, year in rows}
    found = {day: kind for day, kind, _ in rows if first <= day <= last}
    for year in range(first.year, last.year + 1):
        if year not in managed:
            found.update((e.day, e.kind) for e in bundled_entries(year) if first <= e.day <= last)
    return Window(first, last, found)


def is_workday(day: date) -> bool:
    """Whether ``day`` (a Beijing date) is a working day."""
    return window(day, day).is_workday(day)


def _local(moment: datetime) -> datetime:
    return clock.as_utc(moment).astimezone(BEIJING)


def _walk(start: date, count: int) -> date:
    """The ``count``-th working day after ``start`` (``count`` 0: ``start`` or the next one)."""
    day, left = start, count
    while True:
        span = window(day, day + _WINDOW)
        if left == 0 and span.is_workday(day):
            return day
        while day < span.last:
            day += timedelta(days=1)
            if span.is_workday(day):
                if left <= 1:
                    return day
                left -= 1


@overload
def add_workdays(start: datetime, count: int) -> datetime: ...
@overload
def add_workdays(start: date, count: int) -> date: ...
def add_workdays(start: date | datetime, count: int) -> date | datetime:
    """``count`` working days after ``start``: the date, or the same Beijing time of day on it.

    Counting starts the day after ``start`` (from a Friday, 1 working day is the next working
    Monday); ``count`` 0 gives ``start`` itself if it is a working day, else the next one.
    """
    if count < 0:
        raise ValueError("count must not be negative")
    if not isinstance(start, datetime):
        return _walk(start, count)
    local = _local(start)
    day = _walk(local.date(), count)
    return datetime.combine(day, local.timetz()).astimezone(UTC)


def next_workday(moment: datetime) -> datetime:
    """``moment`` if it falls on a working day (Beijing), else the same time of day on the
    next working day."""
    return add_workdays(moment, 0)
