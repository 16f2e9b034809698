"""The clerk's story in Chromium (issue 4 acceptance): a clerk starts 请假, fills the form with an
org picker (工作交接人) and an attachment (证明材料) and submits; the department head finds it in
待办 and 退回s it with a reason; the clerk resubmits; the head approves with an opinion that
carries their handwritten signature, and the attachment downloads from the instance page."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from engine import api
from tests.browser.conftest import log_out, open_start_form
from tests.files.helpers import PDF, signature_image
from tests.support.live_server import LiveServer

PASSWORD = "Qingjia#2025ok"
PROOF = "病假证明.pdf"
REASON = "请补充医院盖章的病假证明原件扫描件"
OPINION = "同意，病假期间工作由赵科员交接。"


@pytest.fixture
def office(qingjia_department: Callable[..., dict[str, int]]) -> dict[str, int]:
    """A clerk, a colleague to hand work over to and their head; 请假 deployed."""
    return qingjia_department(
        PASSWORD,
        ("clerk", "张科员", "staff"),
        ("colleague", "赵科员", "staff"),
        ("depthead", "李科长", "dept_head"),
    )


def _open_todo(page: Page, step: str) -> None:
    page.get_by_role("link", name="待办中心", exact=True).click()
    page.locator(".wb-row").filter(has_text=step).get_by_role("link", name="办理").click()


def _upload_signature(page: Page) -> None:
    page.get_by_role("link", name="我的签名").click()
    page.get_by_label("签名图片").set_input_files(
        files=[{"name": "签名.jpg", "mimeType": "image/jpeg", "buffer": signature_image()}]
    )
    page.get_by_role("button", name="上传签名").click()
    expect(page.locator(".flash-success")).to_contain_text("签名已保存")
    expect(page.get_by_role("img", name="李科长的手写签名")).to_be_visible()


def _fill_application(page: Page, shots: Path) -> None:
    page.get_by_label("请假类型").select_option("病假")
    page.get_by_label("开始日期").fill("2026-12-01")
    page.get_by_label("请假天数").fill("2")
    page.get_by_label("请假事由").fill("发烧就医")
    page.get_by_role("combobox", name="工作交接人").fill("赵科")
    page.get_by_role("option", name="赵科员").click()
    expect(page.locator(".field-picker .chip")).to_contain_text("赵科员")
    page.get_by_label("证明材料").set_input_files(
        files=[{"name": PROOF, "mimeType": "application/pdf", "buffer": PDF}]
    )
    page.screenshot(path=shots / "clerk-task-form.png", full_page=True)


def _send_back(page: Page) -> None:
    form = page.locator("form[action$='/send-back']")
    if not form.is_visible():  # the 退回 form may sit in a dialog opened by its button
        page.get_by_role("button", name="退回", exact=True).first.click()
    form.get_by_label("理由").fill(REASON)
    form.locator("button[type=submit]").click()
    expect(page.locator(".flash-success")).to_contain_text("已退回")


def test_clerk_story(
    page: Page,
    live_server: LiveServer,
    office: dict[str, int],
    login: Callable[[Page, str, str], None],
    tmp_path: Path,
) -> None:
    login(page, "depthead", PASSWORD)
    _upload_signature(page)
    log_out(page)

    login(page, "clerk", PASSWORD)
    open_start_form(page, "请假申请")
    _fill_application(page, tmp_path)
    page.get_by_role("button", name="提交").click()
    expect(page.locator(".flash-success")).to_contain_text("已提交")
    log_out(page)

    login(page, "depthead", PASSWORD)
    expect(page.locator(".todo-count")).to_have_text("1")
    _open_todo(page, "部门负责人审批")
    expect(page.get_by_text("发烧就医").first).to_be_visible()
    expect(page.locator(".wb-attachments").get_by_role("link", name=PROOF)).to_be_visible()
    _send_back(page)
    log_out(page)

    login(page, "clerk", PASSWORD)
    _open_todo(page, "填写申请")
    expect(page.locator(".field-picker .chip")).to_contain_text("赵科员")  # kept from before
    expect(page.locator(".field-file .file-list")).to_contain_text(PROOF)
    with live_server.app_context():
        (instance,) = api.started_instances(office["clerk"]).items
        sent_back = [e for e in api.history(instance.id) if e.kind == "task_sent_back"]
        assert [e.data["reason"] for e in sent_back] == [REASON]
    page.get_by_label("请假天数").fill("3")
    page.get_by_role("button", name="提交").click()
    expect(page.locator(".flash-success")).to_contain_text("已提交")
    log_out(page)

    login(page, "depthead", PASSWORD)
    _open_todo(page, "部门负责人审批")
    page.get_by_label("同意").check()
    page.get_by_label("本人审批意见").fill(OPINION)
    page.get_by_role("button", name="提交").click()
    expect(page.locator(".flash-success")).to_contain_text("已提交")

    with live_server.app_context():
        started = api.started_instances(office["clerk"]).items
        assert [i.status for i in started] == ["completed"]
        instance_id = started[0].id
    page.goto(f"/workbench/instances/{instance_id}")
    entry = page.locator(".wb-signed .opinion-entry")
    expect(entry).to_have_count(1)
    expect(entry.locator(".opinion-text")).to_have_text(OPINION)
    expect(entry.locator(".opinion-user")).to_have_text("李科长")
    expect(entry.locator(".opinion-position")).to_have_text("部门负责人")
    expect(entry.locator("time")).to_have_text(re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$"))
    signature = entry.get_by_role("img", name="李科长的手写签名")
    expect(signature).to_be_visible()
    assert signature.evaluate("img => img.complete && img.naturalWidth > 0")
    with page.expect_download() as caught:
        page.locator(".wb-attachments").get_by_role("link", name=PROOF).click()
    download = caught.value
    assert download.suggested_filename == PROOF
    assert Path(download.path()).read_bytes() == PDF
