"""Screenshots of the demo city for docs/: ``python -m tests.support.screenshots [OUT_DIR]``.

``--only qianbao,shouwen,calendar`` shoots only those groups (see ``GROUPS``) and leaves the
other PNGs alone.

Loads the demo data into a throwaway SQLite database, serves the real app on a free port,
logs in through the login page as documented demo users and saves full-page PNGs. Each page
is checked to render Chinese glyphs first, so a machine without CJK fonts fails instead of
writing screenshots full of boxes.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Browser, Page, ViewportSize, expect, sync_playwright

from services.db import db
from services.org.demo import load_demo
from tests.gongwen.fawen_helpers import demo_city
from tests.support.browser import (
    DESKTOP_VIEWPORT,
    PHONE_VIEWPORT,
    glyph_shapes,
    launch_chromium,
    log_in,
)
from tests.support.live_server import LiveServer, migrate_sqlite, serve
from tests.support.screenshot_data import seed_qianbao, seed_shouwen

DEFAULT_OUT = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
# Screenshots only: the demo password is not a secret and the database is thrown away.
DEMO_PASSWORD = "Demo@2025oa"
CLERK, AUDITOR, DEPTHEAD, SYSADMIN = "clerk", "auditor", "depthead", "sysadmin"
ROOT = Path(__file__).resolve().parents[2]
# What `make run` deploys: the processes and the pieces they call (subprocesses, DMN tables).
DEPLOYED = (ROOT / "processes", ROOT / "bpmn-models")
LEAVE = {"leave_type": "年休假", "start_date": "2025-03-10", "days": 5, "reason": "回老家探亲"}


def seed_workflow() -> int:
    """Deploy what `make run` deploys; leave one 请假 waiting for the department head (its id)."""
    from engine import api
    from engine.definitions import repository
    from services.org.directory import get_user_by_username

    files = {
        p.name: p.read_bytes()
        for folder in DEPLOYED
        for p in sorted(folder.iterdir())
        if p.suffix in (".bpmn", ".dmn")
    }
    repository.deploy(files, deployed_by=None, comment="截图")
    clerk = get_user_by_username(CLERK)
    head = get_user_by_username(DEPTHEAD)
    assert clerk is not None and head is not None
    for days in (5, 2):
        api.start_instance("qingjia", starter_id=clerk.id, data={"title": f"请假{days}天"})
        mine = api.inbox(clerk.id).items[0]
        api.complete_task(mine.id, actor_id=clerk.id, data={**LEAVE, "days": days})
    api.start_instance("qingjia", starter_id=clerk.id, data={"title": "请假草稿"})
    db.session.commit()
    return api.inbox(head.id).items[0].id


@contextmanager
def demo_server(workdir: Path) -> Iterator[LiveServer]:
    """A live server on a fresh SQLite database holding the demo city."""
    url = migrate_sqlite(workdir / "demo.sqlite3")
    with serve(url, workdir / "var") as server:
        with server.app_context():
            load_demo(DEMO_PASSWORD)
            db.session.commit()
            server.task_id = seed_workflow()  # type: ignore[attr-defined]
            # Before Playwright starts: sealing runs pyHanko's asyncio loop in this thread.
            server.fawen_id = seed_fawen()  # type: ignore[attr-defined]
            city = demo_city()
            server.shouwen_id = seed_shouwen(city)  # type: ignore[attr-defined]
            seed_qianbao(city)
        yield server


@contextmanager
def tab(browser: Browser, server: LiveServer, viewport: ViewportSize) -> Iterator[Page]:
    """A new logged-out browser context at ``viewport``, rendered at 2x for crisp docs."""
    context = browser.new_context(
        base_url=server.url,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        viewport=viewport,
        device_scale_factor=2 if viewport == PHONE_VIEWPORT else 1,
        is_mobile=viewport == PHONE_VIEWPORT,
    )
    try:
        yield context.new_page()
    finally:
        context.close()


def save(page: Page, path: Path) -> None:
    """Refuse to save a page whose main heading does not render as Chinese glyphs."""
    shapes = glyph_shapes(page, "h1", "政务协同办公平台")
    if len({shape for _, shape in shapes}) < len(set("政务协同办公平台")):
        raise SystemExit(f"{path.name}: 中文字形未正常显示（缺少 fonts-noto-cjk？）")
    page.screenshot(path=path, full_page=True)
    print(f"已保存 {path}")


def shoot_desktop(browser: Browser, server: LiveServer, out: Path) -> None:
    with tab(browser, server, DESKTOP_VIEWPORT) as page:
        page.goto("/login")
        page.fill("input[name=username]", CLERK)
        save(page, out / "login.png")
        log_in(page, CLERK, DEMO_PASSWORD)
        expect(page.get_by_role("heading", name="您好", exact=False)).to_be_visible()
        save(page, out / "portal.png")
        page.goto("/directory")
        save(page, out / "directory.png")
    with tab(browser, server, DESKTOP_VIEWPORT) as page:
        log_in(page, AUDITOR, DEMO_PASSWORD)
        page.goto("/audit")
        save(page, out / "audit.png")
    shoot_audit_replay(browser, server, out)
    shoot_workflow(browser, server, out)
    shoot_leave_form(browser, server, out)
    shoot_fawen(browser, server, out)


def shoot_audit_replay(browser: Browser, server: LiveServer, out: Path) -> None:
    """The auditor's instance page: a 请假 replayed and verified, the applicant's step open."""
    with tab(browser, server, DESKTOP_VIEWPORT) as page:
        log_in(page, AUDITOR, DEMO_PASSWORD)
        page.goto("/audit/events?kind=completed")
        page.locator("a[href*='/audit/instances/']").first.click()
        completed = page.locator("table.au-events tr", has_text="办理完成")
        completed.get_by_role("link", name="查看第", exact=False).first.click()
        page.get_by_role("button", name="重放校验").click()
        expect(page.locator(".au-verdict")).to_contain_text("校验通过")
        save(page, out / "audit-replay.png")


def shoot_leave_form(browser: Browser, server: LiveServer, out: Path) -> None:
    """The clerk's 请假 form filled in: a picked 工作交接人 and an attached 病假证明."""
    with tab(browser, server, DESKTOP_VIEWPORT) as page:
        log_in(page, CLERK, DEMO_PASSWORD)
        page.goto("/workbench/start")
        page.get_by_role("button", name="发起“请假申请”").click()
        page.get_by_label("请假类型").select_option("病假")
        page.get_by_label("开始日期").fill("2025-03-10")
        page.get_by_label("请假天数").fill("2")
        page.get_by_label("请假事由").fill("发烧，医嘱休息两天")
        page.get_by_role("combobox", name="工作交接人").fill("梁慧")
        page.get_by_role("option", name="梁慧波").click()
        proof = {"name": "病假证明.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.7\n"}
        page.get_by_label("证明材料").set_input_files(files=[proof])
        save(page, out / "task-form.png")


def shoot_workflow(browser: Browser, server: LiveServer, out: Path) -> None:
    """The inbox, a task page with its diagram, the instance view and the admin console."""
    task_id = server.task_id  # type: ignore[attr-defined]
    with tab(browser, server, DESKTOP_VIEWPORT) as page:
        log_in(page, DEPTHEAD, DEMO_PASSWORD)
        page.goto("/workbench/")
        save(page, out / "inbox.png")
        page.goto(f"/workbench/tasks/{task_id}")
        page.wait_for_selector(".djs-container", timeout=15_000)
        save(page, out / "task.png")
        page.locator("a[href*='/workbench/instances/']").first.click()
        page.wait_for_selector(".djs-container", timeout=15_000)
        save(page, out / "instance.png")
    with tab(browser, server, DESKTOP_VIEWPORT) as page:
        log_in(page, SYSADMIN, DEMO_PASSWORD)
        page.goto("/admin/")
        save(page, out / "admin.png")
    with tab(browser, server, PHONE_VIEWPORT) as page:
        log_in(page, DEPTHEAD, DEMO_PASSWORD)
        page.goto(f"/workbench/tasks/{task_id}")
        save(page, out / "phone-task.png")


def seed_fawen() -> int:
    """Two 发文 of 市教育局 through the engine: a 函 filed (归档) after 用印 with the unit's seal
    from the platform CA, and a 请示 waiting at 部门核稿; returns the 函's document id."""
    from services.gongwen import documents
    from services.seal import ca, seals
    from tests.gongwen import fawen_helpers as fawen

    city = fawen.demo_city()
    ca.init_ca()
    seals.issue_unit_seal(city.unit)
    db.session.commit()
    clerk = city.user("clerk")
    han = fawen.start(city)
    fawen.act(han, clerk, fawen.draft_data(city), "拟稿")
    fawen.review_and_sign(city, han, principal=False)
    fawen.issue(city, han)
    qingshi = fawen.start(city)
    request = {
        "doc_type": "请示",
        "title": "江城市教育局关于申请校园安全专项经费的请示",
        "main_units": [city.units["zf"].id],
        "copy_units": [],
        "copy_external": [],
        "importance": "重要",
        "signer_id": city.user("chief").id,
    }
    fawen.act(qingshi, clerk, fawen.draft_data(city, **request), "拟稿")
    filed = documents.document_for_instance(han)
    assert filed is not None
    return filed.id


def shoot_fawen(browser: Browser, server: LiveServer, out: Path) -> None:
    """发文管理, a filed 函's page (files, 归档 with 档号, verified) and a 拟稿 being filled."""
    document_id = server.fawen_id  # type: ignore[attr-defined]
    with tab(browser, server, DESKTOP_VIEWPORT) as page:
        log_in(page, "officedir", DEMO_PASSWORD)
        page.goto("/gongwen/outgoing")
        save(page, out / "fawen-list.png")
        page.goto(f"/gongwen/{document_id}")
        page.locator(".gw-archive").get_by_role("button", name="校验").click()
        expect(page.locator(".gw-archive-check")).to_contain_text("校验通过")
        save(page, out / "fawen-document.png")
    with tab(browser, server, DESKTOP_VIEWPORT) as page:
        log_in(page, CLERK, DEMO_PASSWORD)
        page.goto("/workbench/start")
        page.get_by_role("button", name="发起“发文”").click()
        fill_fawen_draft(page)
        save(page, out / "fawen-draft.png")


def _pick(page: Page, label: str, search: str, option: str) -> None:
    picker = page.locator(".field-picker").filter(has=page.get_by_role("combobox", name=label))
    picker.get_by_role("combobox", name=label).fill(search)
    picker.get_by_role("option", name=option).first.click()
    expect(picker.locator(".chip").filter(has_text=option.rstrip(" ▸"))).not_to_have_count(0)


def fill_fawen_draft(page: Page) -> None:
    """A 通知 to two units, copied to a third, with two 会签 departments and a 正文."""
    page.get_by_label("文种").select_option("通知")
    page.get_by_label("标题").fill("江城市教育局关于开展2025年校园安全大检查的通知")
    _pick(page, "主送机关", "市公安局", "江城市公安局")
    _pick(page, "主送机关", "市应急", "江城市应急管理局")
    _pick(page, "抄送机关", "市人民政府", "江城市人民政府")
    page.get_by_label("非密").check()
    page.get_by_label("加急").check()
    page.get_by_label("一般").check()
    page.get_by_label("份数").fill("20")
    departments = page.locator(".field-picker").filter(
        has=page.get_by_role("combobox", name="会签部门")
    )
    for name in ("职业与成人教育科", "计划财务科"):
        departments.get_by_role("combobox", name="会签部门").fill("江城市教育局")
        departments.get_by_role("option", name="江城市教育局 ▸").click()
        departments.get_by_role("option", name=re.compile(f"{name}$")).click()
    page.get_by_role("textbox", name="正文").click()
    toolbar = page.get_by_role("toolbar", name="正文格式")
    paragraphs = (
        (
            "正文段落",
            "为切实做好校园安全工作，经研究，决定在全市开展校园安全大检查。现将有关事项通知如下。",
        ),
        ("标题", "一、检查范围"),
        ("正文段落", "全市各级各类学校、幼儿园。"),
        ("标题", "二、检查内容"),
        ("正文段落", "校舍、消防、食品、交通和周边治安等方面的安全状况。"),
    )
    for number, (style, text) in enumerate(paragraphs):
        if number:
            page.keyboard.press("Enter")
        toolbar.get_by_role("button", name=style, exact=True).click()
        page.keyboard.insert_text(text)
    page.get_by_label("关键词").fill("校园安全 大检查")
    page.get_by_label("公开属性").select_option("主动公开")


def shoot_qianbao(browser: Browser, server: LiveServer, out: Path) -> None:
    """签报管理 of 市教育局: a filed 签报, one at 领导批示, one at 部门审核."""
    with tab(browser, server, DESKTOP_VIEWPORT) as page:
        log_in(page, "officedir", DEMO_PASSWORD)
        page.goto("/gongwen/qianbao")
        expect(page.locator("main")).to_contain_text("实验室教学设备")
        save(page, out / "qianbao-list.png")


SCAN = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def fill_paper(page: Page) -> None:
    """A 请示 a school brought on paper, with its scan."""
    fields = {
        "from_unit": "江城市第一中学",
        "from_doc_number": "江一中〔2025〕3号",
        "title": "江城市第一中学关于增设教学楼的请示",
        "copies": "2",
    }
    for name, value in fields.items():
        page.locator(f"#p-{name}").fill(value)
    choices = {"doc_type": "请示", "urgency": "urgent", "category": "请示", "receipt_class": "收报"}
    for name, value in choices.items():
        page.locator(f"#p-{name}").select_option(value)
    scan = {"name": "来文扫描件.pdf", "mimeType": "application/pdf", "buffer": SCAN}
    page.locator("#p-scans").set_input_files(files=[scan])
    page.evaluate("document.activeElement.blur()")


def shoot_shouwen(browser: Browser, server: LiveServer, out: Path) -> None:
    """纸质来文登记 (filled in, then submitted), 收文查询 by 收文类别, a filed 收文 with 档号."""
    with tab(browser, server, DESKTOP_VIEWPORT) as page:
        log_in(page, "registrar", DEMO_PASSWORD)
        page.goto("/shouwen/paper")
        fill_paper(page)
        save(page, out / "shouwen-paper.png")
        page.get_by_role("button", name="登记").click()
        expect(page.locator(".flash-error")).to_have_count(0)
        page.goto("/shouwen/query")
        expect(page.locator("main")).to_contain_text("收抄")
        save(page, out / "shouwen-query.png")
        page.goto(f"/shouwen/{server.shouwen_id}")  # type: ignore[attr-defined]
        expect(page.locator(".gw-archive-code")).to_contain_text("·")
        save(page, out / "shouwen-record.png")


def shoot_calendar(browser: Browser, server: LiveServer, out: Path) -> None:
    """工作日历 (系统管理员): the bundled 2026 State Council schedule."""
    with tab(browser, server, DESKTOP_VIEWPORT) as page:
        log_in(page, SYSADMIN, DEMO_PASSWORD)
        page.goto("/admin/calendar/?year=2026")
        expect(page.locator("main")).to_contain_text("国庆节调休")
        save(page, out / "calendar.png")


def shoot_phone(browser: Browser, server: LiveServer, out: Path) -> None:
    with tab(browser, server, PHONE_VIEWPORT) as page:
        log_in(page, CLERK, DEMO_PASSWORD)
        save(page, out / "phone-portal.png")


GROUPS = {
    "desktop": shoot_desktop,
    "phone": shoot_phone,
    "qianbao": shoot_qianbao,
    "shouwen": shoot_shouwen,
    "calendar": shoot_calendar,
}


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.support.screenshots")
    parser.add_argument("out", nargs="?", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--only", default=",".join(GROUPS), help="逗号分隔：" + "、".join(GROUPS))
    args = parser.parse_args(argv)
    args.groups = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = [name for name in args.groups if name not in GROUPS]
    if unknown or not args.groups:
        parser.error(f"未知的截图组：{'、'.join(unknown) or '（空）'}")
    return args


def main(argv: list[str]) -> None:
    args = parse_args(argv)
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    with (
        tempfile.TemporaryDirectory(prefix="oa-shots-") as workdir,
        demo_server(Path(workdir)) as server,
        sync_playwright() as driver,
    ):
        browser = launch_chromium(driver)
        try:
            for name in args.groups:
                GROUPS[name](browser, server, out)
        finally:
            browser.close()


if __name__ == "__main__":
    main(sys.argv[1:])
