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
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, Playwright, ViewportSize, sync_playwright

from engine.definitions import repository
from services.auth import accounts
from services.db import db
from tests.org.factories import make_department, make_unit, make_user
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
QINGJIA_BPMN = HERE.parents[1] / "processes" / "qingjia.bpmn"


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


@pytest.fixture
def signed_in(page: Page, system_admin: str, add_user: Callable[..., int]) -> Callable[..., int]:
    """``signed_in(username, name, password, roles=...)`` adds the user (as ``add_user``) and
    logs ``page`` in as them; returns the user's id."""

    def sign_in(username: str, name: str, password: str, **options: Any) -> int:
        user_id = add_user(username, name, password, **options)
        log_in(page, username, password)
        return user_id

    return sign_in


@pytest.fixture
def qingjia_department(live_server: LiveServer, system_admin: str) -> Callable[..., dict[str, int]]:
    """``qingjia_department(password, (username, name, position), ...)`` puts the people in
    市财政局 综合科 with that password, deploys 请假 and commits; returns their ids by username."""

    def create(password: str, *people: tuple[str, str, str]) -> dict[str, int]:
        with live_server.app_context():
            department = make_department("综合科", unit=make_unit("市财政局"))
            ids = {}
            for username, name, position in people:
                user = make_user(username, department=department, position=position, name=name)
                accounts.set_password(user, password, must_change=False)
                ids[username] = user.id
            files = {QINGJIA_BPMN.name: QINGJIA_BPMN.read_bytes()}
            repository.deploy(files, deployed_by=None, comment="browser test")
            db.session.commit()
        return ids

    return create


def log_out(page: Page) -> None:
    """Press 退出 and wait for the login page."""
    with page.expect_navigation():
        page.get_by_role("button", name="退出").click()


def open_start_form(page: Page, process_name: str) -> None:
    """From any page: 待办中心 -> 发起流程 -> 发起“process_name”."""
    page.get_by_role("link", name="待办中心", exact=True).click()
    page.get_by_role("link", name="发起流程").click()
    page.get_by_role("button", name=f"发起“{process_name}”").click()
