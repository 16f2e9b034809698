"""Template filters: times are stored in UTC and shown in Beijing time."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from flask import Flask

BEIJING = timezone(timedelta(hours=8), "Asia/Shanghai")


def local_time(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)  # noqa: UP017
    return value.astimezone(BEIJING).strftime(fmt)


def duration_text(value: timedelta) -> str:
    """``2天3小时``, ``1小时5分钟``, ``45分钟``: how long a step took or has waited."""
    minutes = max(int(value.total_seconds() // 60), 0)
    days, rest = divmod(minutes, 1440)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days}天{hours}小时"
    return f"{hours}小时{minutes}分钟" if hours else f"{minutes}分钟"


def init_app(app: Flask) -> None:
    app.jinja_env.filters["local_time"] = local_time
    app.jinja_env.filters["duration"] = duration_text
