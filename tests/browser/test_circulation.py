"""传阅 in Chromium: the clerk circulates her 请假 to a colleague with the people picker; the
colleague finds it in 待阅 and 阅知s it in a batch; the clerk then sees the read receipt."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from engine import api
from engine.definitions import repository
from services.auth import accounts
from services.db import db
from tests.org.factories import make_department, make_unit, make_user
from tests.support.live_server import LiveServer

PASSWORD = "Chuanyue#2025ok"
PROCESSES = Path(__file__).resolve().parents[2] / "processes"


@pytest.fixture
def circulated_office(live_server: LiveServer, system_admin: str) -> dict[str, int]:
    """A clerk with a started 请假 and a colleague of the same department."""
    with live_server.app_context():
        department = make_department("综合科", unit=make_unit("市财政局"))
        ids = {}
        for username, name in (("clerk", "张科员"), ("colleague", "赵科员")):
            user = make_user(username, department=department, name=name)
            accounts.set_password(user, PASSWORD, must_change=False)
            ids[username] = user.id
        files = {"qingjia.bpmn": (PROCESSES / "qingjia.bpmn").read_bytes()}
        repository.deploy(files, deployed_by=None, comment="browser test")
        ids["instance"] = api.start_instance("qingjia", starter_id=ids["clerk"]).id
        db.session.commit()
    return ids


def _log_out(page: Page) -> None:
    with page.expect_navigation():
        page.get_by_role("button", name="退出").click()


def test_circulate_read_in_batch_and_see_the_receipt(
    page: Page,
    circulated_office: dict[str, int],
    login: Callable[[Page, str, str], None],
) -> None:
    instance_path = f"/workbench/instances/{circulated_office['instance']}"
    login(page, "clerk", PASSWORD)
    page.goto(instance_path)
    form = page.locator("form.wb-circulate-form")
    form.get_by_role("combobox", name="传阅人员").fill("赵科员")
    form.get_by_role("option", name="赵科员").first.click()
    expect(form.locator(".chip")).to_contain_text("赵科员")
    form.get_by_label("传阅说明", exact=True).fill("请阅知")
    form.get_by_role("button", name="传阅").click()
    expect(page.locator(".flash-success")).to_contain_text("已传阅给 1 人")
    expect(page.locator('tr[data-reader="赵科员"] .wb-reading-status')).to_have_text("未阅")
    _log_out(page)

    login(page, "colleague", PASSWORD)
    page.goto("/workbench/?tab=toread")
    expect(page.locator('[data-tab="toread"] .wb-count')).to_have_text("1")
    expect(page.locator(".wb-batch-read")).to_contain_text("请阅知")
    page.get_by_label("全选").check()
    page.get_by_role("button", name="批量阅知").click()
    expect(page.locator(".flash-success")).to_contain_text("已阅知 1 件")
    expect(page.locator('[data-tab="toread"] .wb-count')).to_have_text("0")
    _log_out(page)

    login(page, "clerk", PASSWORD)
    page.goto(instance_path)
    expect(page.locator('tr[data-reader="赵科员"] .wb-reading-status')).to_have_text("已阅")
    expect(page.locator(".wb-timeline")).to_contain_text("阅知")
