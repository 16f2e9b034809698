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


def init_app(app: Flask) -> None:
    app.jinja_env.filters["local_time"] = local_time
