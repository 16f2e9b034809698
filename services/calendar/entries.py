"""Maintaining the calendar (系统管理员): list a year, add or delete a day, import a year.

A year is "managed" once it has a row in the table; until then the bundled schedule applies
(:mod:`services.calendar.days`). Importing a year replaces all of that year's rows. Callers
commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import delete, select

from services.calendar.models import CalendarDay
from services.calendar.schedule import (
    Entry,
    bundled_entries,
    entry_problem,
    parse_kind,
    parse_schedule,
)
from services.db import db
from services.errors import NotFound, ValidationFailed

MIN_YEAR, MAX_YEAR = 2000, 2100


@dataclass(frozen=True)
class YearView:
    """What applies in a year: its rows, or the bundled entries when it has none."""

    year: int
    rows: list[CalendarDay]
    bundled: tuple[Entry, ...]

    @property
    def managed(self) -> bool:
        return bool(self.rows)


# The State Council publishes the next year's 放假安排 in November (2024-11-12, 2025-11-04).
NEXT_YEAR_FROM_MONTH = 11


def has_schedule(year: int) -> bool:
    """Whether ``year`` has a calendar: rows kept by an administrator, or a bundled schedule."""
    managed = db.session.scalar(select(CalendarDay.id).where(CalendarDay.year == year).limit(1))
    return managed is not None or bool(bundled_entries(year))


def missing_years(today: date) -> list[int]:
    """Years whose working days are needed now but unknown: this year, and from November the
    next one too (办理期限 reach into it). Without a calendar only weekends count as days off,
    so 元旦 and 春节 would be counted as working days."""
    years = [today.year]
    if today.month >= NEXT_YEAR_FROM_MONTH:
        years.append(today.year + 1)
    return [year for year in years if not has_schedule(year)]


def check_year(year: int) -> int:
    """``year`` if plausible, else ValidationFailed."""
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise ValidationFailed("年度不正确", errors={"year": f"年度应在 {MIN_YEAR}–{MAX_YEAR}"})
    return year


def year_view(year: int) -> YearView:
    """The calendar of ``year`` for the admin page."""
    stmt = select(CalendarDay).where(CalendarDay.year == check_year(year)).order_by(CalendarDay.day)
    return YearView(year, list(db.session.scalars(stmt)), bundled_entries(year))


def add_day(day_text: str, kind_text: str, name: str, *, actor_id: int | None) -> CalendarDay:
    """Add one exception; ValidationFailed (per field, Chinese) for bad or duplicate input."""
    try:
        day = date.fromisoformat((day_text or "").strip())
    except ValueError:
        raise ValidationFailed("日期不正确", errors={"day": "日期格式应为 2026-10-01"}) from None
    try:
        kind = parse_kind(kind_text or "")
    except ValueError as exc:
        raise ValidationFailed("类型不正确", errors={"kind": str(exc)}) from exc
    entry = Entry(day, kind, (name or "").strip())
    if problem := entry_problem(entry):
        raise ValidationFailed("日历条目有误", errors=dict([problem]))
    check_year(day.year)
    if db.session.scalar(select(CalendarDay.id).where(CalendarDay.day == day)) is not None:
        raise ValidationFailed("该日期已有记录", errors={"day": f"{day} 已有记录，请先删除"})
    _adopt_bundled(day.year, actor_id)
    row = _row(entry, actor_id)
    db.session.add(row)
    return row


def _adopt_bundled(year: int, actor_id: int | None) -> None:
    """Before the first hand edit of a year, copy its bundled entries in: otherwise adding
    one day would silently drop the rest of the bundled year."""
    if db.session.scalar(select(CalendarDay.id).where(CalendarDay.year == year).limit(1)):
        return
    db.session.add_all(_row(entry, actor_id) for entry in bundled_entries(year))
    db.session.flush()


def _row(entry: Entry, actor_id: int | None) -> CalendarDay:
    return CalendarDay(
        day=entry.day, year=entry.day.year, kind=entry.kind, name=entry.name, created_by=actor_id
    )


def delete_day(row_id: int) -> CalendarDay:
    """Remove one exception; NotFound for an unknown id."""
    row = db.session.get(CalendarDay, row_id)
    if row is None:
        raise NotFound("日历条目不存在", calendar_day_id=row_id)
    db.session.delete(row)
    return row


def import_year(year: int, text: str, *, actor_id: int | None) -> int:
    """Replace ``year``'s rows by the schedule in ``text`` (text or JSON); returns the count.

    Every date must be in ``year``; nothing changes when any entry is wrong.
    """
    check_year(year)
    entries = parse_schedule(text or "")
    if not entries:
        raise ValidationFailed("没有可导入的条目", errors={"text": "请粘贴或上传该年的放假安排"})
    outside = [str(e.day) for e in entries if e.day.year != year]
    if outside:
        message = f"以下日期不在 {year} 年：{'、'.join(outside[:10])}"
        raise ValidationFailed("日历内容有误", errors={"text": message})
    db.session.execute(delete(CalendarDay).where(CalendarDay.year == year))
    db.session.add_all(_row(entry, actor_id) for entry in entries)
    return len(entries)


def load_bundled(year: int, *, actor_id: int | None) -> int:
    """Replace ``year``'s rows by the bundled State Council schedule."""
    entries = bundled_entries(check_year(year))
    if not entries:
        raise ValidationFailed("没有内置日历", errors={"year": f"没有内置的 {year} 年日历"})
    db.session.execute(delete(CalendarDay).where(CalendarDay.year == year))
    db.session.add_all(_row(entry, actor_id) for entry in entries)
    return len(entries)
