"""通知设置 page: shows the choices, saves them, refuses bad input and a missing CSRF token."""

from __future__ import annotations

import pytest

from services.db import db
from services.notify import preferences
from tests.auth.helpers import PASSWORD, csrf_token, ensure_sysadmin, login, make_user

PAGE = "/notify/preferences"


@pytest.fixture
def user_client(app, client):
    ensure_sysadmin()
    user = make_user("wang", name="王科员")
    db.session.commit()
    assert login(client, "wang", PASSWORD).status_code == 302
    return user, client


def test_page_lists_kinds_and_channels(user_client) -> None:
    _, client = user_client
    page = client.get(PAGE).get_data(as_text=True)
    for label in ("通知设置", "新待办", "催办提醒", "逾期提醒", "电子邮件", "短信", "免打扰时段"):
        assert label in page


def test_saves_channels_and_quiet_hours(user_client) -> None:
    user, client = user_client
    data = {
        "reminder_channels": ["email", "sms"],
        "overdue_channels": ["sms"],
        "quiet_start": "22:00",
        "quiet_end": "07:00",
        "csrf_token": csrf_token(client, PAGE),
    }
    response = client.post(PAGE, data=data)
    assert response.status_code == 302
    db.session.expire_all()
    prefs = preferences.get_preferences(user.id)
    assert prefs.channels_for("reminder") == ("email", "sms")
    assert prefs.channels_for("overdue") == ("sms",)
    assert prefs.channels_for("new_task") == ()
    assert (prefs.quiet_start, prefs.quiet_end, prefs.urgent_bypass) == ("22:00", "07:00", False)
    assert "checked" in client.get(PAGE).get_data(as_text=True)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"quiet_start": "25:00", "quiet_end": "07:00"}, "时间格式应为"),
        ({"quiet_start": "22:00", "quiet_end": ""}, "需同时填写"),
        ({"quiet_start": "08:00", "quiet_end": "08:00"}, "不能相同"),
        ({"reminder_channels": "fax"}, "未知的通知渠道"),
    ],
)
def test_rejects_bad_input(user_client, fields, message) -> None:
    user, client = user_client
    response = client.post(PAGE, data={**fields, "csrf_token": csrf_token(client, PAGE)})
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert preferences.get_preferences(user.id) == preferences.Preferences()


def test_post_without_csrf_token_is_refused(user_client) -> None:
    user, client = user_client
    response = client.post(PAGE, data={"reminder_channels": "email"})
    assert response.status_code == 400
    assert preferences.get_preferences(user.id) == preferences.Preferences()


def test_requires_login(app, client) -> None:
    ensure_sysadmin()
    db.session.commit()
    response = client.get(PAGE)
    assert response.status_code == 302 and "/login" in response.headers["Location"]
