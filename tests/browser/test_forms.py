"""The JSON-Schema form in Chromium: conditional sections, table rows and the user picker
(web/static/js/forms.js), then a submission that the server parses."""

from __future__ import annotations

import json
from collections.abc import Callable

from playwright.sync_api import Page, expect

PASSWORD = "Qingshui@2025"
URL = "/forms/preview/sample_all_widgets"


def test_form_widgets_work_in_the_browser(
    page: Page,
    system_admin: str,
    add_user: Callable[..., int],
    login: Callable[[Page, str, str], None],
) -> None:
    add_user("zhangxm", "张晓明", PASSWORD)
    picked = add_user("lisi", "李思远", PASSWORD)
    login(page, "zhangxm", PASSWORD)
    page.goto(URL)

    funding = page.locator("#f-funding")
    expect(funding).to_be_hidden()  # x-showIf: needs_funding is unchecked
    page.get_by_label("需要资金").check()
    expect(funding).to_be_visible()
    page.get_by_label("需要资金").uncheck()
    expect(funding).to_be_hidden()

    page.get_by_role("button", name="添加一行").click()
    expect(page.locator("input[name='items.1.name']")).to_be_visible()
    page.get_by_label("第2行 名称").fill("附表")
    page.get_by_label("第2行 页数").fill("2")

    page.get_by_label("标题").fill("关于报送统计数据的通知")
    page.get_by_label("文种").select_option("请示")
    page.get_by_label("特急").check()
    page.get_by_label("份数").fill("3")
    page.get_by_label("办结期限").fill("2025-03-20")
    page.get_by_label("第1行 名称").fill("正文")
    page.get_by_label("第1行 页数").fill("5")

    page.get_by_role("combobox", name="承办人").fill("李思")
    page.get_by_role("option", name="李思远").click()
    expect(page.locator(f"input[type=hidden][name=handler][value='{picked}']")).to_have_count(1)
    page.get_by_label("本人拟办意见").fill("请李思远同志办理。")

    page.get_by_role("button", name="校验").click()
    result = page.locator(".form-result pre")
    expect(result).to_be_visible()
    data = json.loads(result.inner_text())
    assert data["handler"] == picked
    assert data["doc_kind"] == "请示" and data["urgency"] == "特急"
    assert data["items"] == [{"name": "正文", "pages": 5}, {"name": "附表", "pages": 2}]
    assert "funding" not in data
    assert data["opinions"][0]["user_name"] == "张晓明"
    assert data["opinions"][0]["text"] == "请李思远同志办理。"
