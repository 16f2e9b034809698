"""Logging in through the real login page in Chromium, on a desktop and on a phone."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, Playwright, expect

from tests.support.browser import CHROMIUM, CHROMIUM_ARGS, glyph_shapes, ink_fraction

PASSWORD = "Qingshui@2025"
LoginFn = Callable[[Page, str, str], None]
# Texts of the header's visible links and buttons that stick out of the header bar or the screen.
TOPBAR_SPILL_JS = """
() => {
  const bar = document.querySelector(".topbar").getBoundingClientRect();
  return [...document.querySelectorAll(".topbar a, .topbar button")]
    .filter((el) => el.offsetParent !== null)
    .filter((el) => {
      const r = el.getBoundingClientRect();
      return r.top < bar.top || r.bottom > bar.bottom || r.right > window.innerWidth;
    })
    .map((el) => el.textContent.trim());
}
"""


@pytest.fixture
def clerk(system_admin: str, add_user: Callable[..., int]) -> str:
    """A 科员 who can log in (the administrator exists, so there is no first-run redirect)."""
    add_user("zhangxm", "张晓明", PASSWORD)
    return "zhangxm"


def assert_chinese_renders(page: Page, selector: str, text: str) -> None:
    """Each character of ``text`` draws a different, inked glyph (no tofu boxes)."""
    shapes = glyph_shapes(page, selector, text)
    assert all(ink > 0 for ink, _ in shapes), f"{text!r} 的字形为空"
    assert len({shape for _, shape in shapes}) == len(set(text)), f"{text!r} 显示为方框"


def test_login_page_shows_portal_and_logout_ends_session(
    page: Page, clerk: str, login: LoginFn
) -> None:
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login\b"))
    expect(page.get_by_role("heading", name="政务协同办公平台")).to_be_visible()
    assert_chinese_renders(page, ".login-card h1", "政务协同办公平台")

    login(page, clerk, PASSWORD)

    greeting = page.get_by_role("heading", name="您好，张晓明")
    expect(greeting).to_be_visible()
    assert_chinese_renders(page, ".content h1", "您好张晓明")
    # A screenshot of the greeting: a blank or unstyled render would leave it without ink.
    assert ink_fraction(page, greeting.screenshot()) > 0.005

    page.get_by_role("button", name="退出").click()
    expect(page.get_by_text("您已安全退出。")).to_be_visible()
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login\b"))


@pytest.mark.parametrize(
    ("username", "password"),
    [("zhangxm", "Wrong@2025x"), ("nobody", PASSWORD)],
    ids=["wrong-password", "unknown-user"],
)
def test_failed_login_shows_chinese_error(
    page: Page, clerk: str, login: LoginFn, username: str, password: str
) -> None:
    login(page, username, password)

    expect(page.get_by_role("alert")).to_have_text("用户名或密码错误")
    expect(page).to_have_url(re.compile(r"/login\b"))
    expect(page.locator("input[name=username]")).to_have_value(username)
    expect(page.get_by_role("heading", name=re.compile("您好"))).to_have_count(0)


@pytest.mark.parametrize(
    ("tab", "toggle_shown"),
    [("page", False), ("phone_page", True)],
    ids=["desktop", "phone"],
)
def test_side_navigation_folds_behind_toggle_on_phones(
    request: pytest.FixtureRequest, clerk: str, login: LoginFn, tab: str, toggle_shown: bool
) -> None:
    browser_tab: Page = request.getfixturevalue(tab)
    login(browser_tab, clerk, PASSWORD)
    toggle = browser_tab.get_by_role("button", name="展开导航")
    todo_link = browser_tab.locator("#sidenav").get_by_role("link", name="待办中心")

    if not toggle_shown:
        expect(toggle).to_be_hidden()
        expect(todo_link).to_be_in_viewport()
        return
    expect(toggle).to_be_visible()
    expect(toggle).to_have_text("☰")
    assert browser_tab.evaluate(TOPBAR_SPILL_JS) == [], "顶栏在手机上换行溢出"
    expect(todo_link).not_to_be_in_viewport()
    toggle.click()
    expect(todo_link).to_be_in_viewport()
    todo_link.click()
    expect(browser_tab.get_by_role("heading", name="待办中心")).to_be_visible()


def test_first_run_sets_up_the_administrator(page: Page, login: LoginFn) -> None:
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/setup$"))
    expect(page.get_by_role("heading", name="首次运行")).to_be_visible()

    page.fill("input[name=username]", "wangjg")
    page.fill("input[name=name]", "王建国")
    page.fill("input[name=password]", PASSWORD)
    page.fill("input[name=password2]", PASSWORD)
    page.get_by_role("button", name="创建系统管理员").click()

    expect(page).to_have_url(re.compile(r"/login\b"))
    expect(page.get_by_text("系统管理员已创建")).to_be_visible()
    login(page, "wangjg", PASSWORD)
    expect(page.get_by_role("heading", name="您好，王建国")).to_be_visible()
    response = page.goto("/setup")
    assert response is not None and response.status == 404


def test_glyph_check_detects_missing_cjk_fonts(playwright: Playwright, tmp_path: Path) -> None:
    """The rendering check above has teeth: a Chromium that sees no fonts draws tofu."""
    fonts_conf = tmp_path / "fonts.conf"
    fonts_conf.write_text(
        '<?xml version="1.0"?><fontconfig>'
        f"<cachedir>{tmp_path / 'fc-cache'}</cachedir></fontconfig>",
        encoding="utf-8",
    )
    fontless = playwright.chromium.launch(
        executable_path=str(CHROMIUM),
        args=list(CHROMIUM_ARGS),
        env={"FONTCONFIG_FILE": str(fonts_conf)},
    )
    try:
        tab = fontless.new_page()
        tab.set_content("<h1>您好，张晓明</h1>")
        with pytest.raises(AssertionError, match=r"方框|字形为空"):
            assert_chinese_renders(tab, "h1", "您好张晓明")
    finally:
        fontless.close()
