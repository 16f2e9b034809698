"""The audit console in Chromium: an auditor finds a finished 请假 in 流程审计, replays it, sees
校验通过 and steps through its events; a tampered event is named on the same page."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import update

from engine import api
from engine.definitions import repository
from engine.runtime.models import InstanceEvent
from services.auth import accounts
from services.db import db
from services.org.roles import AUDITOR
from tests.org.factories import make_department, make_unit, make_user
from tests.support.live_server import LiveServer

PASSWORD = "Shenji#2025ok"
PROCESSES = Path(__file__).resolve().parents[2] / "processes"
LEAVE = {"leave_type": "事假", "start_date": "2026-12-01", "days": 2, "reason": "陪同家人就医"}


@pytest.fixture
def finished_leave(live_server: LiveServer, system_admin: str) -> int:
    """An auditor, and a 请假 that a clerk applied for and the department head approved."""
    with live_server.app_context():
        department = make_department("综合科", unit=make_unit("市财政局"))
        people = {}
        for username, name, position, roles in (
            ("clerk", "张科员", "staff", ()),
            ("depthead", "李科长", "dept_head", ()),
            ("auditor", "王审计", "staff", (AUDITOR,)),
        ):
            user = make_user(
                username, department=department, position=position, name=name, roles=roles
            )
            accounts.set_password(user, PASSWORD, must_change=False)
            people[username] = user.id
        files = {"qingjia.bpmn": (PROCESSES / "qingjia.bpmn").read_bytes()}
        repository.deploy(files, deployed_by=None, comment="browser test")
        view = api.start_instance(
            "qingjia", starter_id=people["clerk"], data={"title": "张科员请假2天"}
        )
        for who, data in (("clerk", LEAVE), ("depthead", {"approved": True})):
            (task,) = api.inbox(people[who]).items
            api.complete_task(task.id, actor_id=people[who], data=data)
        db.session.commit()
        assert api.get_instance(view.id).status == "completed"
        return view.id


def test_auditor_replays_an_instance_and_sees_it_verified(
    page: Page, finished_leave: int, login: Callable[[Page, str, str], None]
) -> None:
    login(page, "auditor", PASSWORD)
    page.get_by_role("link", name="审计日志", exact=True).click()
    page.get_by_role("link", name="流程审计", exact=True).click()
    expect(page.get_by_role("heading", name="流程审计")).to_be_visible()
    page.get_by_label("事件类型").select_option(label="发起流程")
    page.get_by_role("button", name="查询").click()
    expect(page.locator("table.au-events tbody tr")).to_have_count(1)
    page.get_by_title(f"核验实例 {finished_leave}").click()

    expect(page.get_by_role("heading", name="流程核验：张科员请假2天")).to_be_visible()
    expect(page.locator(".au-verdict")).to_contain_text("哈希链完整")
    page.get_by_role("button", name="重放校验").click()
    verdict = page.locator(".au-verdict")
    expect(verdict).to_contain_text("校验通过：哈希链完整，重放结果与记录一致")
    expect(verdict).to_have_attribute("data-verdict", "ok")

    page.get_by_role("link", name="查看第 1 条事件").click()
    expect(page.get_by_role("heading", name="第 1 条事件：发起流程")).to_be_visible()
    step = page.locator("#step")
    expect(step.get_by_role("table", name="此时的流程数据")).to_contain_text("张科员请假2天")
    # Step forward to the clerk's submission: the leave data appears as changes.
    while "办理完成" not in (step.get_by_role("heading").first.text_content() or ""):
        step.get_by_role("link", name="下一条").click()
    changes = step.get_by_role("table", name="数据变化")
    expect(changes).to_contain_text("陪同家人就医")
    expect(changes).to_contain_text("新增")
    expect(page.locator("tr.selected")).to_have_count(1)
    # Replaying from the open step shows the verdict beside it.
    page.get_by_role("button", name="重放校验").click()
    expect(verdict).to_contain_text("校验通过")
    expect(step.get_by_role("table", name="数据变化")).to_contain_text("陪同家人就医")


def test_a_tampered_event_is_named(
    page: Page,
    live_server: LiveServer,
    finished_leave: int,
    login: Callable[[Page, str, str], None],
) -> None:
    with live_server.app_context():
        event = db.session.scalars(
            db.select(InstanceEvent).where(
                InstanceEvent.instance_id == finished_leave, InstanceEvent.kind == "task_completed"
            )
        ).first()
        assert event is not None
        seq = event.seq
        db.session.execute(
            update(InstanceEvent).where(InstanceEvent.id == event.id).values(actor_id=None)
        )
        db.session.commit()
    login(page, "auditor", PASSWORD)
    page.goto(f"/audit/instances/{finished_leave}")
    page.get_by_role("button", name="重放校验").click()
    verdict = page.locator(".au-verdict")
    expect(verdict).to_contain_text(f"校验未通过：第 {seq} 条事件被篡改")
    expect(verdict).to_have_attribute("data-verdict", "bad")
    expect(page.locator(f"#event-{seq}")).to_have_class("tampered")
