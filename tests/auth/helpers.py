"""Helpers for tests that need accounts and a logged-in client.

``login(client, username, password)`` goes through the real page: it fetches a page to get the
CSRF token kept in the cookie session, then posts the login form.
"""

from __future__ import annotations

import itertools
import re

from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from services.auth import accounts
from services.db import db
from services.org import grants
from services.org.models import Position, Unit, User
from services.org.roles import SYSADMIN

PASSWORD = "Good#Pass2025"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"|name="csrf-token" content="([^"]+)"')
_serial = itertools.count(1)


def _unit() -> Unit:
    unit = db.session.scalars(select(Unit).where(Unit.code == "test-unit")).first()
    if unit is None:
        unit = Unit(code="test-unit", name="测试市测试局", short_name="测试局", kind="department")
        db.session.add(unit)
    return unit


def _position() -> Position:
    position = db.session.get(Position, "test_clerk")
    if position is None:
        position = Position(code="test_clerk", name="科员", rank=50)
        db.session.add(position)
    return position


def make_user(
    username: str | None = None,
    *,
    name: str = "张三",
    password: str | None = PASSWORD,
    must_change: bool = False,
    roles: tuple[str, ...] = (),
) -> User:
    """A user of a test unit with a password and roles, flushed (not committed)."""
    username = username or f"user{next(_serial)}"
    user = User(username=username, name=name, unit=_unit(), position=_position())
    db.session.add(user)
    db.session.flush()
    if password is not None:
        accounts.set_password(user, password, must_change=must_change)
    for code in roles:
        grants.grant_role(user, code)
    db.session.flush()
    return user


def ensure_sysadmin() -> User:
    """A system administrator, so that /login is not redirected to the first-run /setup."""
    existing = grants.holders(SYSADMIN)
    return existing[0] if existing else make_user("sysadmin", name="系统管理员", roles=(SYSADMIN,))


def csrf_token(client: FlaskClient, path: str = "/login") -> str:
    """The CSRF token of the client's cookie session, read from a rendered page."""
    page = client.get(path, follow_redirects=True).get_data(as_text=True)
    match = _CSRF.search(page)
    assert match, f"no CSRF token on {path}"
    return match.group(1) or match.group(2)


def login(
    client: FlaskClient, username: str, password: str, *, follow_redirects: bool = False
) -> TestResponse:
    """Log in through the real login form (CSRF token included)."""
    token = csrf_token(client)
    return client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token},
        follow_redirects=follow_redirects,
    )


def post_form(
    client: FlaskClient, path: str, data: dict[str, str], **kwargs: object
) -> TestResponse:
    """POST a form to ``path`` with the client's CSRF token."""
    return client.post(path, data={**data, "csrf_token": csrf_token(client)}, **kwargs)  # type: ignore[arg-type]
