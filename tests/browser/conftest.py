"""Browser fixtures: system Chromium through Playwright, against the real app on a live server.

Each test gets its own SQLite database (a copy of the migrated template), its own server and a
fresh browser context, so tests never see each other's cookies or rows. These tests run on
SQLite only: they do not request ``app`` or ``backend``, so the suite's two-backend
parametrization does not apply.

Playwright and the browser live for this package only (not the whole session): the sync API
leaves an asyncio loop marked as running in the main thread until it stops, which would break
later tests that call ``asyncio.run``.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Playwright, ViewportSize, sync_playwright

from services.auth import accounts
from services.db import db
from tests.org.factories import make_user
from tests.support.browser import (
    DESKTOP_VIEWPORT,
    PHONE_VIEWPORT,
    chromium_problem,
    launch_chromium,
    log_in,
)
from tests.support.live_server import LiveServer, serve

ADMIN_PASSWORD = "Jiangcheng#Admin2025"

HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test under tests/browser carries the ``browser`` mark (``-m "not browser"``)."""
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="package")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="package")
def browser(playwright: Playwright) -> Iterator[Browser]:
    problem = chromium_problem()
    if problem is not None:
        pytest.fail(problem, pytrace=False)  # never skip: a missing browser is a broken setup
    chromium = launch_chromium(playwright)
    yield chromium
    chromium.close()


@pytest.fixture
def live_server(sqlite_template: Path, tmp_path: Path) -> Iterator[LiveServer]:
    """The real app on a fresh migrated SQLite file; seed it with ``live_server.app_context()``."""
    path = tmp_path / "live.sqlite3"
    shutil.copyfile(sqlite_template, path)
    with serve(f"sqlite:///{path}", tmp_path / "var") as server:
        yield server


def _new_page(
    browser: Browser, server: LiveServer, viewport: ViewportSize, *, phone: bool = False
) -> Iterator[Page]:
    context = browser.new_context(
        base_url=server.url,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        viewport=viewport,
        is_mobile=phone,
        has_touch=phone,
    )
    context.set_default_timeout(15_000)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture
def page(browser: Browser, live_server: LiveServer) -> Iterator[Page]:
    """A desktop-sized tab in a new browser context; ``page.goto("/")`` hits the live server."""
    yield from _new_page(browser, live_server, DESKTOP_VIEWPORT)


@pytest.fixture
def phone_page(browser: Browser, live_server: LiveServer) -> Iterator[Page]:
    """A phone-sized (390x844) touch tab in its own context."""
    yield from _new_page(browser, live_server, PHONE_VIEWPORT, phone=True)


@pytest.fixture
def login() -> Callable[[Page, str, str], None]:
    """``login(page, username, password)`` submits the real login form."""
    return log_in


@pytest.fixture
def add_user(live_server: LiveServer) -> Callable[..., int]:
    """``add_user(username, name, password, position=..., roles=...)`` creates a user with a
    password that needs no change, commits, and returns the user's id."""

    def create(
        username: str,
        name: str,
        password: str,
        *,
        position: str = "staff",
        roles: tuple[str, ...] = (),
    ) -> int:
        with live_server.app_context():
            user = make_user(username, name=name, position=position, roles=roles)
            accounts.set_password(user, password, must_change=False)
            db.session.commit()
            return user.id

    return create


@pytest.fixture
def system_admin(live_server: LiveServer) -> str:
    """A 系统管理员 exists, so the platform is past its first run; returns the username."""
    with live_server.app_context():
        accounts.create_admin("sysadmin", "系统管理员", ADMIN_PASSWORD)
        db.session.commit()
    return "sysadmin"
