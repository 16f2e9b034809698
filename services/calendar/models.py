"""The calendar's one table: one row per date that is not what its weekday says."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from services import clock
from services.db import UTCDateTime, db

HOLIDAY = "holiday"  # 放假: a weekday (or weekend) off
WORKDAY = "workday"  # 调休上班: a weekend day worked
KINDS = {HOLIDAY: "放假", WORKDAY: "调休上班"}


class CalendarDay(db.Model):  # type: ignore[name-defined]
    """An exception to the Monday-Friday week on ``day`` (Beijing date)."""

    __tablename__ = "calendar_day"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date, unique=True)
    # Indexed copy of the year: "does this year have rows" decides the bundled fallback.
    year: Mapped[int] = mapped_column(Integer, index=True)
    kind: Mapped[str] = mapped_column(String(8))
    name: Mapped[str] = mapped_column(String(40))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("org_user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
