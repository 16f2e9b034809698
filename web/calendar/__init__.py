"""工作日历 (系统管理员): the holidays and 调休 workdays that working-day deadlines and
``workdaysOnly`` timers count with; list a year, add or delete a day, import a year, load the
bundled State Council schedule. Every change is audited."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("calendar", __name__, url_prefix="/admin/calendar")

from web.calendar import views  # noqa: E402, F401  (routes on bp)
