"""工作日历 page: only 系统管理员; adding, deleting and importing with Chinese errors; audited."""

from __future__ import annotations

import io
from datetime import date

import pytest
from sqlalchemy import select

from services.audit.models import AuditEvent
from services.calendar import days
from services.calendar.models import CalendarDay
from services.db import db
from services.org.roles import ANALYST, AUDITOR, REGISTRAR, SYSADMIN
from tests.auth.helpers import post_form
from tests.studio.helpers import client_for


@pytest.fixture
def admin(app):
    return client_for(app, "sysadmin", (SYSADMIN,))


def rows() -> list[tuple[date, str, str]]:
    found = db.session.scalars(select(CalendarDay).order_by(CalendarDay.day))
    return [(r.day, r.kind, r.name) for r in found]


@pytest.mark.parametrize("role", [AUDITOR, ANALYST, REGISTRAR])
def test_only_the_system_administrator_may_open_or_change_it(app, role: str) -> None:
    client = client_for(app, f"user_{role}", (role,))
    assert client.get("/admin/calendar/").status_code == 403
    response = post_form(client, "/admin/calendar/days", {"day": "2026-12-31", "kind": "holiday"})
    assert response.status_code == 403
    assert post_form(client, "/admin/calendar/load-bundled", {"year": "2026"}).status_code == 403
    assert rows() == []
    assert "工作日历" not in client.get("/").get_data(as_text=True)


def test_the_page_shows_the_bundled_year_until_it_is_managed(admin) -> None:
    page = admin.get("/admin/calendar/?year=2026").get_data(as_text=True)
    assert 'id="bundled-note"' in page and 'data-day="2026-10-10"' in page
    assert "国庆节调休" in page
    empty = admin.get("/admin/calendar/?year=2031").get_data(as_text=True)
    assert 'id="empty-note"' in empty
    assert admin.get("/admin/calendar/?year=abc").status_code == 422


def test_adding_and_deleting_a_day(admin) -> None:
    data = {"day": "2026-12-31", "kind": "holiday", "name": "年终休假"}
    response = post_form(admin, "/admin/calendar/days", data)
    assert response.status_code == 302
    assert (date(2026, 12, 31), "holiday", "年终休假") in rows()
    assert (date(2026, 10, 1), "holiday", "国庆节") in rows()  # the bundled year adopted
    assert not days.is_workday(date(2026, 12, 31))
    page = admin.get(response.headers["Location"]).get_data(as_text=True)
    assert "已添加 2026-12-31 放假（年终休假）" in page
    row_id = db.session.scalar(select(CalendarDay.id).where(CalendarDay.day == date(2026, 12, 31)))
    assert post_form(admin, f"/admin/calendar/days/{row_id}/delete", {}).status_code == 302
    assert days.is_workday(date(2026, 12, 31))
    assert post_form(admin, f"/admin/calendar/days/{row_id}/delete", {}).status_code == 404
    actions = db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.action.like("calendar.%"))
    )
    assert list(actions) == ["calendar.add", "calendar.delete"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"day": "2026-02-30", "kind": "holiday", "name": "x"}, "日期格式应为 2026-10-01"),
        ({"day": "2026-10-12", "kind": "workday", "name": "调休"}, "本来就是工作日"),
        ({"day": "2026-10-17", "kind": "other", "name": "x"}, "应为“放假”或“上班”"),
        ({"day": "2026-10-17", "kind": "workday", "name": ""}, "请填写名称"),
        ({"day": "2026-10-17", "kind": "workday", "name": "长" * 41}, "名称不能超过 40 个字"),
        ({"day": "1999-10-17", "kind": "workday", "name": "x"}, "年度应在 2000–2100"),
    ],
)
def test_a_bad_day_is_refused_in_chinese(admin, data: dict[str, str], message: str) -> None:
    response = post_form(admin, "/admin/calendar/days", data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert rows() == []


def test_a_duplicate_day_is_refused(admin) -> None:
    post_form(admin, "/admin/calendar/days", {"day": "2026-12-31", "kind": "holiday", "name": "a"})
    response = post_form(
        admin, "/admin/calendar/days", {"day": "2026-12-31", "kind": "holiday", "name": "b"}
    )
    assert response.status_code == 422
    assert "2026-12-31 已有记录，请先删除" in response.get_data(as_text=True)


def test_importing_a_year_from_text_and_from_a_json_file(admin) -> None:
    text = "2027-01-01 放假 元旦\n2027-02-06~2027-02-12 放假 春节\n2027-02-20 上班 春节调休\n"
    response = post_form(admin, "/admin/calendar/import", {"year": "2027", "text": text})
    assert response.status_code == 302
    assert len(rows()) == 9 and not days.is_workday(date(2027, 2, 8))
    assert days.is_workday(date(2027, 2, 20))
    upload = (
        io.BytesIO('[{"date": "2027-10-01", "kind": "放假", "name": "国庆节"}]'.encode()),
        "2027.json",
    )
    response = post_form(admin, "/admin/calendar/import", {"year": "2027", "file": upload})
    assert response.status_code == 302
    assert rows() == [(date(2027, 10, 1), "holiday", "国庆节")]  # the year was replaced


def test_a_bad_import_changes_nothing(admin) -> None:
    post_form(admin, "/admin/calendar/load-bundled", {"year": "2026"})
    before = rows()
    bad = "2026-10-01 放假 国庆节\n2026-10-09 上班 调休\n2026-10-20 放假\n"
    response = post_form(admin, "/admin/calendar/import", {"year": "2026", "text": bad})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "第 2 行：2026-10-09 是周一至周五" in page and "第 3 行：应写作" in page
    assert rows() == before and len(before) == 39
    response = post_form(admin, "/admin/calendar/import", {"year": "2026", "text": ""})
    assert "请粘贴或上传该年的放假安排" in response.get_data(as_text=True)
    response = post_form(admin, "/admin/calendar/load-bundled", {"year": "2030"})
    assert response.status_code == 422 and "没有内置的 2030 年日历" in response.get_data(
        as_text=True
    )
