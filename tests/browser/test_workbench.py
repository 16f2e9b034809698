"""The workbench in Chromium: a clerk starts 请假 and submits it; the department head finds it
in 待办, sees the diagram with the current step marked, and approves it. Phones get cards."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from engine import api
from services.db import db
from tests.browser.conftest import log_out, open_start_form
from tests.support.live_server import LiveServer

PASSWORD = "Qingjia#2025ok"


@pytest.fixture
def qingjia_office(qingjia_department: Callable[..., dict[str, int]]) -> dict[str, int]:
    """A clerk and the head of the same department; 请假 deployed."""
    return qingjia_department(
        PASSWORD, ("clerk", "张科员", "staff"), ("depthead", "李科长", "dept_head")
    )


def test_clerk_submits_and_head_approves(
    page: Page,
    live_server: LiveServer,
    qingjia_office: dict[str, int],
    login: Callable[[Page, str, str], None],
) -> None:
    login(page, "clerk", PASSWORD)
    open_start_form(page, "请假申请")
    expect(page.get_by_role("heading", name="请假申请：填写")).to_be_visible()
    page.get_by_label("请假类型").select_option("事假")
    page.get_by_label("开始日期").fill("2026-12-01")
    page.get_by_label("请假天数").fill("2")
    page.get_by_label("请假事由").fill("陪同家人就医")
    page.get_by_role("button", name="提交").click()
    expect(page.locator(".flash-success")).to_contain_text("已提交")
    log_out(page)

    login(page, "depthead", PASSWORD)
    expect(page.locator(".todo-count")).to_have_text("1")
    page.get_by_role("link", name="待办中心", exact=True).click()
    row = page.locator(".wb-row").filter(has_text="部门负责人审批")
    row.get_by_role("link", name="办理").click()
    expect(page.get_by_text("陪同家人就医")).to_be_visible()  # the clerk's data in the history
    expect(page.locator(".wb-diagram[data-ready='1']")).to_be_visible()
    expect(page.locator(".wb-diagram .djs-element.wb-current")).to_have_count(1)
    expect(page.locator(".wb-diagram .djs-element.wb-done").first).to_be_attached()
    page.get_by_label("同意").check()
    page.get_by_label("本人审批意见").fill("同意，注意安排好工作交接。")
    page.get_by_role("button", name="提交").click()
    expect(page.locator(".flash-success")).to_contain_text("已提交")

    with live_server.app_context():
        started = api.started_instances(qingjia_office["clerk"]).items
        assert [i.status for i in started] == ["completed"]


def test_inbox_on_a_phone_shows_cards(
    phone_page: Page,
    live_server: LiveServer,
    qingjia_office: dict[str, int],
    login: Callable[[Page, str, str], None],
) -> None:
    with live_server.app_context():
        api.start_instance("qingjia", starter_id=qingjia_office["clerk"])
        db.session.commit()
    login(phone_page, "clerk", PASSWORD)
    phone_page.goto("/workbench/")
    expect(phone_page.locator(".wb-table thead")).to_be_hidden()
    card = phone_page.locator(".wb-row").first
    expect(card).to_be_visible()
    box = card.bounding_box()
    assert box is not None and box["width"] <= 390
    width = phone_page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390  # nothing forces sideways scrolling
