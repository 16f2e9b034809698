"""Working-day arithmetic on the bundled State Council schedules and on admin-maintained rows."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from engine import deadlines as engine_deadlines
from services.calendar import days, entries
from services.calendar.models import HOLIDAY, WORKDAY
from services.calendar.schedule import bundled_entries, parse_schedule
from services.db import db
from services.errors import ValidationFailed
from services.gongwen import deadlines


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2026, 9, 30), True),  # Wednesday before 国庆
        (date(2026, 10, 1), False),  # 国庆 on a Thursday
        (date(2026, 10, 7), False),  # 国庆 on a Wednesday
        (date(2026, 10, 10), True),  # 调休: Saturday worked
        (date(2026, 10, 11), False),  # an ordinary Sunday
        (date(2026, 9, 20), True),  # 调休: Sunday worked
        (date(2026, 2, 16), False),  # 除夕, Monday
        (date(2025, 1, 26), True),  # 2025 春节调休 Sunday
        (date(2025, 10, 8), False),  # 2025 国庆、中秋 Wednesday
    ],
)
def test_is_workday_follows_the_state_council_schedule(app, day: date, working: bool) -> None:
    assert days.is_workday(day) is working


@pytest.mark.parametrize(
    ("start", "count", "expected"),
    [
        (date(2026, 9, 30), 1, date(2026, 10, 8)),  # the whole 国庆 holiday is skipped
        (date(2026, 9, 30), 3, date(2026, 10, 10)),  # ... and the 调休 Saturday counts
        (date(2026, 9, 30), 4, date(2026, 10, 12)),
        (date(2026, 10, 3), 0, date(2026, 10, 8)),  # 0: the next working day
        (date(2026, 9, 30), 0, date(2026, 9, 30)),
        (date(2026, 2, 13), 1, date(2026, 2, 14)),  # Friday -> 调休 Saturday
        (date(2026, 12, 30), 3, date(2027, 1, 4)),  # into a year with no schedule: weekends
    ],
)
def test_add_workdays_on_dates(app, start: date, count: int, expected: date) -> None:
    assert days.add_workdays(start, count) == expected


def test_add_workdays_keeps_the_beijing_time_of_day(app) -> None:
    ten_am = datetime(2026, 9, 30, 2, 0, tzinfo=UTC)  # 10:00 Beijing
    assert days.add_workdays(ten_am, 3) == datetime(2026, 10, 10, 2, 0, tzinfo=UTC)
    late = datetime(2026, 9, 30, 17, 0, tzinfo=UTC)  # already 10-01 01:00 in Beijing
    assert days.add_workdays(late, 1) == datetime(2026, 10, 7, 17, 0, tzinfo=UTC)  # 10-08 01:00
    assert days.next_workday(datetime(2026, 10, 3, 1, 0, tzinfo=UTC)) == datetime(
        2026, 10, 8, 1, 0, tzinfo=UTC
    )
    with pytest.raises(ValueError):
        days.add_workdays(ten_am, -1)


def test_the_bundled_schedules_are_consistent(app) -> None:
    for year, holidays, workdays in ((2025, 28, 5), (2026, 33, 6)):
        found = bundled_entries(year)
        assert sum(e.kind == HOLIDAY for e in found) == holidays
        made_up = [e for e in found if e.kind == WORKDAY]
        assert len(made_up) == workdays
        assert all(e.day.weekday() >= 5 for e in made_up)  # 调休上班 is always a weekend day


def test_rows_in_the_table_replace_the_bundled_year(app) -> None:
    # Adding the first hand-made row of a year copies the bundled entries in first.
    entries.add_day("2026-12-31", "放假", "单位年终休假", actor_id=None)
    db.session.commit()
    view = entries.year_view(2026)
    assert view.managed and len(view.rows) == len(bundled_entries(2026)) + 1
    assert not days.is_workday(date(2026, 12, 31))
    assert not days.is_workday(date(2026, 10, 1))
    # Importing a year replaces it: 国庆 is gone, the imported day is there.
    count = entries.import_year(2026, "2026-06-01 放假 测试假日\n", actor_id=None)
    db.session.commit()
    assert count == 1
    assert days.is_workday(date(2026, 10, 1))
    assert not days.is_workday(date(2026, 6, 1))
    assert not days.is_workday(date(2025, 10, 1))  # other years keep their bundled schedule
    entries.load_bundled(2026, actor_id=None)
    db.session.commit()
    assert not days.is_workday(date(2026, 10, 1)) and days.is_workday(date(2026, 6, 1))


def test_a_schedule_reads_text_ranges_and_json(app) -> None:
    text = "# 国庆\n2026-10-01~2026-10-03 放假 国庆节\n2026-10-10 上班 国庆节调休\n"
    found = parse_schedule(text)
    assert [(e.day.day, e.kind) for e in found] == [
        (1, HOLIDAY),
        (2, HOLIDAY),
        (3, HOLIDAY),
        (10, WORKDAY),
    ]
    as_json = '{"days": [{"date": "2026-10-01~2026-10-03", "kind": "holiday", "name": "国庆节"},'
    as_json += ' {"date": "2026-10-10", "kind": "上班", "name": "国庆节调休"}]}'
    assert parse_schedule(as_json) == found


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2026-10-01 放假", "第 1 行：应写作“日期 放假|上班 名称”"),
        ("2026-13-01 放假 国庆节", "第 1 行：日期“2026-13-01”格式应为"),
        ("2026-10-01 休息 国庆节", "第 1 行：类型“休息”应为“放假”或“上班”"),
        ("2026-10-09 上班 调休", "2026-10-09 是周一至周五，本来就是工作日"),
        ("2026-10-07~2026-10-01 放假 国庆节", "结束不能早于开始"),
        ("2026-10-01 放假 国庆\n2026-10-01 放假 国庆", "第 2 行：2026-10-01 重复"),
        ("[1, 2", "JSON 格式有误"),
    ],
)
def test_bad_schedules_are_refused_in_chinese(app, text: str, message: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        parse_schedule(text)
    assert message in caught.value.errors["text"]


def test_an_import_refuses_dates_of_another_year(app) -> None:
    with pytest.raises(ValidationFailed) as caught:
        entries.import_year(2027, "2026-10-01 放假 国庆节", actor_id=None)
    assert caught.value.errors["text"] == "以下日期不在 2027 年：2026-10-01"


def test_sandbox_workdays_gives_the_duration_to_the_nth_working_day(app, frozen_clock) -> None:
    frozen_clock.current = datetime(2026, 9, 30, 2, 0, tzinfo=UTC)
    assert engine_deadlines.workdays(3) == "PT864000S"  # ten days: to Saturday 10-10 10:00
    assert engine_deadlines.workdays(0) == "PT0S"
    for bad in (-1, 1.5, "3", True, 400):
        with pytest.raises(ValueError, match="workdays"):
            engine_deadlines.workdays(bad)  # type: ignore[arg-type]


def test_shouwen_default_deadline_counts_working_days(app) -> None:
    # 2 working days for 特急 received on the eve of 国庆: Thursday 10-08 .. Friday 10-09.
    assert deadlines.incoming_deadline("very_urgent", date(2026, 9, 30)) == date(2026, 10, 9)
    # 10 for 平件 from 中秋 (Friday 09-25): 09-28..30, 10-08, 09, 10 (调休), 12..15.
    assert deadlines.incoming_deadline("normal", date(2026, 9, 25)) == date(2026, 10, 15)
    assert deadlines.remind_day(date(2026, 10, 8)) == date(2026, 9, 30)
