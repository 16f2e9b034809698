"""发文 step deadlines by 紧急程度, from the ``fawen_deadlines`` setting.

The setting reads ``特急=PT4H/PT1H;加急=P1D/PT4H;平件=P3D/P1D``: for each 紧急程度 the time a
step may take (ISO-8601 duration) and how long before expiry the holder is reminded. The process
asks once, at start, for the whole table (:func:`deadline_table`); its boundary timers pick the
row of the document's current 紧急程度, so changing the urgency at 拟稿 changes later deadlines.

The 收文 办理期限 a registrar does not set is counted in working days on the 工作日历
(:func:`incoming_deadline`): 10 working days after receipt for 平件 ends after 国庆, not in it.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from services.calendar import days
from services.config import ConfigError, current_settings

URGENCIES = ("特急", "加急", "平件")
_DURATION = re.compile(r"^P(?:(?P<d>\d+)D)?(?:T(?:(?P<h>\d+)H)?(?:(?P<m>\d+)M)?(?:(?P<s>\d+)S)?)?$")


def parse_duration(text: str) -> timedelta:
    """``P1DT4H`` -> timedelta; days, hours, minutes and seconds only (no months or years)."""
    match = _DURATION.match(text.strip())
    if match is None or text.strip() in ("P", "PT"):
        raise ConfigError(f"OA_FAWEN_DEADLINES 中的“{text}”不是 ISO-8601 时长（如 P3D、PT4H）")
    parts = {key: int(value or 0) for key, value in match.groupdict().items()}
    return timedelta(days=parts["d"], hours=parts["h"], minutes=parts["m"], seconds=parts["s"])


def format_duration(value: timedelta) -> str:
    """timedelta -> the shortest ISO-8601 duration (``P1DT4H``, ``PT30M``)."""
    seconds = int(value.total_seconds())
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes, seconds = divmod(rest, 60)
    time_part = "".join(
        f"{n}{unit}" for n, unit in ((hours, "H"), (minutes, "M"), (seconds, "S")) if n
    )
    return "P" + (f"{days}D" if days else "") + (f"T{time_part}" if time_part else "")


def parse_deadlines(text: str) -> dict[str, tuple[timedelta, timedelta]]:
    """The setting as {紧急程度: (办理期限, 提前提醒)}; ConfigError names what is wrong."""
    table: dict[str, tuple[timedelta, timedelta]] = {}
    for entry in filter(None, (part.strip() for part in text.split(";"))):
        urgency, sep, spans = entry.partition("=")
        limit, slash, ahead = spans.partition("/")
        if not sep or not slash or urgency.strip() not in URGENCIES:
            raise ConfigError(f"OA_FAWEN_DEADLINES 的“{entry}”应写作 紧急程度=办理期限/提前提醒")
        expire, before = parse_duration(limit), parse_duration(ahead)
        if not timedelta(0) < before < expire:
            raise ConfigError(f"OA_FAWEN_DEADLINES 的“{entry}”：提前提醒应短于办理期限且大于 0")
        table[urgency.strip()] = (expire, before)
    missing = [u for u in URGENCIES if u not in table]
    if missing:
        raise ConfigError(f"OA_FAWEN_DEADLINES 缺少紧急程度：{'、'.join(missing)}")
    return table


def deadline_table() -> dict[str, dict[str, str]]:
    """{紧急程度: {"remind": ISO, "expire": ISO}} measured from a step's start, for BPMN timers.

    Also keyed by the stored urgency codes (normal/urgent/very_urgent) so either spelling works.
    """
    table = parse_deadlines(current_settings().fawen_deadlines)
    rows = {
        urgency: {"remind": format_duration(expire - before), "expire": format_duration(expire)}
        for urgency, (expire, before) in table.items()
    }
    codes = {"very_urgent": "特急", "urgent": "加急", "normal": "平件"}
    return rows | {code: rows[word] for code, word in codes.items()}


# 收文 办理期限 when the registrar gives none, by 紧急程度: working days after receipt.
INCOMING_TERM_WORKDAYS = {"normal": 10, "urgent": 5, "very_urgent": 2}


def incoming_deadline(urgency: str, received: date) -> date:
    """The default 收文 办理期限: N working days (by 紧急程度) after the 收文日期."""
    return days.add_workdays(received, INCOMING_TERM_WORKDAYS.get(urgency, 10))


def remind_day(deadline: date) -> date:
    """The last working day before ``deadline``, when the holders are reminded that the
    办理期限 is near."""
    before = deadline - timedelta(days=1)
    calendar = days.window(before - timedelta(days=40), before)
    while before > calendar.first and not calendar.is_workday(before):
        before -= timedelta(days=1)
    return before
