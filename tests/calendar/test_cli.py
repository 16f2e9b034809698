"""``oa calendar list / import / load-bundled`` through the installed ``oa`` entry point.

Changes are audited (on an intact hash chain); bad input exits 2 with a Chinese message and
leaves the table exactly as it was.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from services.audit import log as audit
from services.audit.models import AuditEvent
from services.calendar import days
from services.calendar.models import CalendarDay
from services.db import db
from tests.conftest import TEST_SECRET


class OaRunner:
    """Runs ``oa ARGS`` against the test database; the test's session is released first."""

    def __init__(self, database_url: str, var_dir: Path) -> None:
        self.env = {
            **os.environ,
            "OA_DATABASE_URL": database_url,
            "OA_SECRET_KEY": TEST_SECRET,
            "OA_VAR_DIR": str(var_dir),
        }
        self.exe = str(Path(sys.executable).with_name("oa"))

    def __call__(self, *args: str) -> subprocess.CompletedProcess[str]:
        db.session.remove()
        return subprocess.run(
            [self.exe, "calendar", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )


@pytest.fixture
def oa(app: Flask, database_url: str, tmp_path: Path) -> OaRunner:
    return OaRunner(database_url, tmp_path / "var")


def rows(year: int) -> list[tuple[date, str, str]]:
    db.session.remove()
    stmt = select(CalendarDay).where(CalendarDay.year == year).order_by(CalendarDay.day)
    return [(r.day, r.kind, r.name) for r in db.session.scalars(stmt)]


def calendar_events() -> list[AuditEvent]:
    stmt = select(AuditEvent).where(AuditEvent.action.like("calendar.%")).order_by(AuditEvent.seq)
    return list(db.session.scalars(stmt))


def test_list_load_bundled_and_import_are_audited(oa: OaRunner, tmp_path: Path) -> None:
    listed = oa("list", "--year", "2026")
    assert listed.returncode == 0, listed.stderr
    assert "2026 年未维护，使用内置的国务院放假安排" in listed.stdout
    assert "2026-10-10  调休上班  国庆节调休" in listed.stdout

    loaded = oa("load-bundled", "2026")
    assert loaded.returncode == 0, loaded.stderr
    assert "已载入内置的 2026 年国务院放假安排" in loaded.stdout
    assert (date(2026, 10, 1), "holiday", "国庆节") in rows(2026)
    assert "已维护" in oa("list", "--year", "2026").stdout

    schedule = tmp_path / "2027.txt"
    schedule.write_text(
        "# 测试\n2027-10-01~2027-10-07 放假 国庆节\n2027-10-09 上班 国庆节调休\n", encoding="utf-8"
    )
    imported = oa("import", str(schedule))
    assert imported.returncode == 0, imported.stderr
    assert "已导入 2027 年日历，共 8 天" in imported.stdout
    assert len(rows(2027)) == 8
    assert not days.is_workday(date(2027, 10, 4)) and days.is_workday(date(2027, 10, 9))

    events = calendar_events()
    assert [(e.action, e.object_id) for e in events] == [
        ("calendar.load_bundled", "2026"),
        ("calendar.import", "2027"),
    ]
    assert events[1].user_agent == "oa 命令行"
    assert events[1].detail is not None and events[1].detail["count"] == 8
    assert events[1].detail["via"] == "cli" and events[1].detail["file"] == "2027.txt"
    assert audit.verify().ok


def test_json_with_an_explicit_year_replaces_the_year(oa: OaRunner, tmp_path: Path) -> None:
    assert oa("load-bundled", "2026").returncode == 0
    data = {"days": [{"date": "2026-12-31", "kind": "holiday", "name": "年终休假"}]}
    path = tmp_path / "days.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    imported = oa("import", "--year", "2026", str(path))
    assert imported.returncode == 0, imported.stderr
    assert rows(2026) == [(date(2026, 12, 31), "holiday", "年终休假")]


BAD_FILES = {
    "bad-line.txt": (
        "2026-10-01~2026-10-07 放假 国庆节\n2026-10-12 上班 周一调休\n2026-13-01 放假 无\n",
        ["第 2 行", "本来就是工作日", "第 3 行", "日期“2026-13-01”格式应为"],
    ),
    "two-years.txt": (
        "2026-12-31 放假 跨年\n2027-01-01 放假 元旦\n",
        ["应属于同一年（发现：2026、2027）"],
    ),
    "bad.json": ('[{"date": "2026-10-01", "kind": "放假"', ["JSON 格式有误"]),
    "empty.txt": ("# 只有注释\n", ["没有可导入的条目"]),
}


def test_bad_input_exits_2_in_chinese_and_writes_nothing(oa: OaRunner, tmp_path: Path) -> None:
    assert oa("load-bundled", "2026").returncode == 0
    before = rows(2026)
    assert before
    for name, (content, messages) in BAD_FILES.items():
        path = tmp_path / name
        path.write_text(content, encoding="utf-8")
        result = oa("import", str(path))
        assert result.returncode == 2, (name, result.stdout, result.stderr)
        assert "\n错误：" in f"\n{result.stderr}", (name, result.stderr)
        assert all(m in result.stderr for m in messages), (name, result.stderr)
        assert "Traceback" not in result.stderr
    gbk = tmp_path / "gbk.txt"
    gbk.write_bytes("2026-12-31 放假 年终".encode("gbk"))
    refused = [
        (oa("import", str(gbk)), "UTF-8"),
        (oa("import", str(tmp_path / "missing.txt")), "无法读取文件"),
        (oa("import", "--year", "2027", str(tmp_path / "bad-line.txt")), "第 2 行"),
        (oa("load-bundled", "2031"), "没有内置的 2031 年日历"),
        (oa("load-bundled", "1999"), "年度应在 2000–2100"),
        (oa("list", "--year", "1999"), "年度应在 2000–2100"),
    ]
    for result, message in refused:
        assert result.returncode == 2 and message in result.stderr, result.stderr
    assert rows(2026) == before and rows(2027) == [] and rows(2031) == []
    assert [e.action for e in calendar_events()] == ["calendar.load_bundled"]
