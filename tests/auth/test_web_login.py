"""The login, logout, password and first-run pages; CSRF; server-side session timeouts."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from services.auth import accounts
from services.auth.models import LoginSession
from services.db import db
from services.org.roles import SECADMIN
from tests.auth.helpers import PASSWORD, csrf_token, ensure_sysadmin, login, make_user, post_form


@pytest.fixture
def user(app: Flask):
    ensure_sysadmin()
    created = make_user("zhaoliu", name="赵六")
    db.session.commit()
    return created


def sessions_count() -> int:
    return db.session.scalar(select(func.count()).select_from(LoginSession)) or 0


def test_login_page_is_chinese_with_the_expected_fields(client: FlaskClient, user) -> None:
    page = client.get("/login").get_data(as_text=True)
    for fragment in ('name="username"', 'name="password"', 'type="password"', "登录"):
        assert fragment in page


def test_login_shows_the_portal(client: FlaskClient, user) -> None:
    response = login(client, "zhaoliu", PASSWORD, follow_redirects=True)
    assert "您好，赵六" in response.get_data(as_text=True)
    assert sessions_count() == 1


def test_wrong_password_is_refused_and_persisted(client: FlaskClient, user) -> None:
    response = login(client, "zhaoliu", "Wrong#Pass1")
    assert "用户名或密码错误" in response.get_data(as_text=True)
    db.session.rollback()  # only what the route committed remains
    from services.auth.models import LoginAttempt

    assert db.session.scalar(select(func.count()).select_from(LoginAttempt)) == 1


@pytest.mark.parametrize(
    ("next_url", "expected"),
    [
        ("/todo", "/todo"),
        ("//evil.example/x", "/"),
        ("https://evil.example/", "/"),
        ("/\\evil.example", "/"),
    ],
)
def test_next_redirects_only_to_local_paths(client, user, next_url: str, expected: str) -> None:
    token = csrf_token(client)
    response = client.post(
        "/login",
        data={"username": "zhaoliu", "password": PASSWORD, "csrf_token": token, "next": next_url},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == expected


@pytest.mark.parametrize("path", ["/login", "/logout"])
def test_post_without_csrf_token_is_refused(client: FlaskClient, user, path: str) -> None:
    login(client, "zhaoliu", PASSWORD)
    response = client.post(path, data={"username": "zhaoliu", "password": PASSWORD})
    assert response.status_code == 400
    assert "CSRF 校验失败" in response.get_data(as_text=True)
    assert sessions_count() == 1  # the logout did not happen


def test_logout_deletes_the_session_row(client: FlaskClient, user) -> None:
    login(client, "zhaoliu", PASSWORD)
    assert sessions_count() == 1
    response = post_form(client, "/logout", {})
    assert response.headers["Location"] == "/login"
    assert sessions_count() == 0
    assert client.get("/").status_code == 302


def test_idle_timeout_after_30_minutes(client: FlaskClient, user, frozen_clock) -> None:
    login(client, "zhaoliu", PASSWORD)
    frozen_clock.advance(minutes=29)
    assert client.get("/").status_code == 200  # activity restarts the idle clock
    frozen_clock.advance(minutes=29)
    assert client.get("/").status_code == 200
    frozen_clock.advance(minutes=30)
    response = client.get("/", follow_redirects=True)
    assert "会话已超时，请重新登录" in response.get_data(as_text=True)
    assert sessions_count() == 0


def test_absolute_timeout_after_8_hours(client: FlaskClient, user, frozen_clock) -> None:
    login(client, "zhaoliu", PASSWORD)
    for _ in range(16):  # busy for 7 h 44 min, never idle
        frozen_clock.advance(minutes=29)
        assert client.get("/").status_code == 200
    frozen_clock.advance(minutes=16)
    assert client.get("/").headers["Location"].startswith("/login")
    assert sessions_count() == 0


def test_cookie_holds_only_a_token_and_the_row_only_its_hash(client: FlaskClient, user) -> None:
    login(client, "zhaoliu", PASSWORD)
    with client.session_transaction() as cookie:
        token = cookie["auth_token"]
        assert set(cookie) <= {"auth_token", "csrf_token", "_permanent", "_flashes"}
    row = db.session.scalars(select(LoginSession)).one()
    assert row.token_hash != token and len(row.token_hash) == 64


def _assert_forced_to_password_page(client: FlaskClient) -> None:
    for path in ("/", "/todo", "/notifications"):
        response = client.get(path)
        assert response.status_code == 302
        assert response.headers["Location"] == "/password"
    assert client.get("/password").status_code == 200


def test_first_login_forces_a_password_change(client: FlaskClient, app: Flask) -> None:
    ensure_sysadmin()
    make_user("newbie", must_change=True)
    db.session.commit()
    assert login(client, "newbie", PASSWORD).headers["Location"] == "/password"
    _assert_forced_to_password_page(client)
    response = post_form(
        client,
        "/password",
        {
            "old_password": PASSWORD,
            "new_password": "Fresh#Pass2026",
            "confirm_password": "Fresh#Pass2026",
        },
    )
    assert response.headers["Location"] == "/"
    assert client.get("/").status_code == 200


def test_admin_reset_forces_a_change_and_ends_sessions(app: Flask) -> None:
    ensure_sysadmin()
    target = make_user("target")
    secadmin = make_user("sec", roles=(SECADMIN,))
    db.session.commit()
    old_client = app.test_client()
    login(old_client, "target", PASSWORD)
    temporary = accounts.admin_reset_password(target, secadmin)
    db.session.commit()
    assert old_client.get("/").headers["Location"].startswith("/login")
    client = app.test_client()
    assert login(client, "target", temporary).headers["Location"] == "/password"
    _assert_forced_to_password_page(client)


def test_expired_password_forces_a_change(frozen_clock, client: FlaskClient, user) -> None:
    frozen_clock.advance(days=91)
    assert login(client, "zhaoliu", PASSWORD).headers["Location"] == "/password"
    _assert_forced_to_password_page(client)


def test_password_page_shows_the_policy_and_errors(client: FlaskClient, user) -> None:
    login(client, "zhaoliu", PASSWORD)
    assert "不得包含用户名" in client.get("/password").get_data(as_text=True)
    response = post_form(
        client,
        "/password",
        {"old_password": PASSWORD, "new_password": "weak", "confirm_password": "weak"},
    )
    assert "长度不能少于 8 位" in response.get_data(as_text=True)


def test_setup_creates_the_first_admin_then_disappears(client: FlaskClient, app: Flask) -> None:
    assert client.get("/login").headers["Location"] == "/setup"
    form = {
        "username": "root",
        "name": "管理员",
        "password": "Admin#2025x",
        "password2": "Admin#2025x",
    }
    response = post_form(client, "/setup", form)
    assert response.headers["Location"] == "/login"
    assert client.get("/setup").status_code == 404
    assert client.get("/login").status_code == 200
    assert "您好，管理员" in login(client, "root", "Admin#2025x", follow_redirects=True).get_data(
        as_text=True
    )


def test_setup_refuses_a_weak_password(client: FlaskClient, app: Flask) -> None:
    form = {"username": "root", "name": "管理员", "password": "root1234", "password2": "root1234"}
    response = post_form(client, "/setup", form)
    assert response.status_code == 200
    assert "密码不能包含用户名" in response.get_data(as_text=True)
    assert client.get("/login").headers["Location"] == "/setup"
