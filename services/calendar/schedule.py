"""Reading a year's schedule from text or JSON, and the bundled State Council schedules.

Text, one entry a line (``#`` starts a comment)::

    2026-10-01~2026-10-07 放假 国庆节
    2026-10-10 上班 国庆节调休

JSON, a list (or ``{"days": [...]}``) of objects such as
``{"date": "2026-10-01", "kind": "放假", "name": "国庆节"}``, where
``date`` may also be a range ``2026-10-01~2026-10-07`` and ``kind`` is 放假/上班 or holiday/workday.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from services.calendar.models import HOLIDAY, WORKDAY
from services.errors import ValidationFailed

DATA_DIR = Path(__file__).parent / "data"
MAX_NAME = 40
MAX_RANGE_DAYS = 31
_KIND_WORDS = {"放假": HOLIDAY, "休": HOLIDAY, HOLIDAY: HOLIDAY, "上班": WORKDAY, "班": WORKDAY}
_KIND_WORDS[WORKDAY] = WORKDAY


@dataclass(frozen=True)
class Entry:
    """One exception: ``day`` is a ``kind`` (holiday / workday) called ``name``."""

    day: date
    kind: str
    name: str


def parse_kind(word: str) -> str:
    """放假/上班 (or holiday/workday) -> the stored kind; ValueError otherwise."""
    kind = _KIND_WORDS.get(word.strip().lower())
    if kind is None:
        raise ValueError(f"类型“{word}”应为“放假”或“上班”")
    return kind


def entry_problem(entry: Entry) -> tuple[str, str] | None:
    """(field, Chinese message) when an entry cannot be right: a missing or too long name, or
    a make-up workday on a weekday; None when it is fine."""
    if not entry.name.strip():
        return "name", "请填写名称（如“国庆节”）"
    if len(entry.name) > MAX_NAME:
        return "name", f"名称不能超过 {MAX_NAME} 个字"
    if entry.kind == WORKDAY and entry.day.weekday() < 5:
        return "day", f"{entry.day} 是周一至周五，本来就是工作日，不能设为调休上班"
    return None


def _days(text: str) -> list[date]:
    first_text, _, last_text = text.strip().partition("~")
    try:
        first = date.fromisoformat(first_text.strip())
        last = date.fromisoformat(last_text.strip()) if last_text else first
    except ValueError as exc:
        raise ValueError(f"日期“{text}”格式应为 2026-10-01 或 2026-10-01~2026-10-07") from exc
    if not 0 <= (last - first).days < MAX_RANGE_DAYS:
        raise ValueError(f"日期范围“{text}”不正确（结束不能早于开始，最长 {MAX_RANGE_DAYS} 天）")
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def _entries(dates: str, kind: str, name: str) -> list[Entry]:
    found = [Entry(day, parse_kind(kind), name.strip()) for day in _days(dates)]
    for entry in found:
        if problem := entry_problem(entry):
            raise ValueError(problem[1])
    return found


def _text_items(text: str) -> list[tuple[str, list[str]]]:
    items = []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.split("#", 1)[0].strip()
        if line:
            items.append((f"第 {number} 行", line.split(maxsplit=2)))
    return items


def _json_items(text: str) -> list[tuple[str, list[str]]]:
    try:
        data: Any = json.loads(text)
    except ValueError as exc:
        raise ValidationFailed("JSON 格式有误", errors={"text": f"JSON 格式有误：{exc}"}) from exc
    rows = data.get("days") if isinstance(data, dict) else data
    if not isinstance(rows, list):
        raise ValidationFailed("JSON 应为列表", errors={"text": "JSON 应为列表或含 days 列表"})
    return [
        (f"第 {n} 项", [str(r.get(k, "")) for k in ("date", "kind", "name")])
        if isinstance(r, dict)
        else (f"第 {n} 项", [])
        for n, r in enumerate(rows, start=1)
    ]


def parse_schedule(text: str) -> list[Entry]:
    """Every entry of a schedule in text or JSON; ValidationFailed lists each bad line."""
    stripped = text.strip()
    items = _json_items(stripped) if stripped[:1] in "[{" and stripped else _text_items(text)
    entries: dict[date, Entry] = {}
    problems: list[str] = []
    for where, parts in items:
        try:
            if len(parts) != 3:
                raise ValueError("应写作“日期 放假|上班 名称”")
            found = _entries(*parts)
        except ValueError as exc:
            problems.append(f"{where}：{exc}")
            continue
        for entry in found:
            if entry.day in entries:
                problems.append(f"{where}：{entry.day} 重复")
            entries[entry.day] = entry
    if problems:
        raise ValidationFailed("日历内容有误", errors={"text": "；".join(problems[:20])})
    return sorted(entries.values(), key=lambda e: e.day)


def bundled_years() -> list[int]:
    """Years with a bundled schedule (``data/<year>.txt``)."""
    return sorted(int(p.stem) for p in DATA_DIR.glob("*.txt") if p.stem.isdigit())


@cache
def bundled_entries(year: int) -> tuple[Entry, ...]:
    """The bundled State Council schedule of ``year``; empty when none is bundled."""
    path = DATA_DIR / f"{year}.txt"
    if not path.is_file():
        return ()
    return tuple(parse_schedule(path.read_text(encoding="utf-8")))
