"""发文 in Chromium with the demo city's 市教育局: a 请示 and a 函 from 拟稿 to 归档.

The clerk starts each from 发起流程 and fills 拟稿 through the real widgets (unit pickers for
主送/抄送, the department picker for 会签, the 正文 editor); every other step is done by the
person who holds it, from their 待办: 部门核稿 (the 请示 is first 退回 to 拟稿 with a reason),
three 会签 department heads, 办公室核稿, 分管领导, the 主要负责人 (the DMN sends a 请示 to
them), 复核, then the 收发员's 登记编号, 套红排版, 用印 and 分发, after which the process files
the document itself. The sealed PDF downloaded from the document page must validate, its 文号
must be the one in the 登记本 .xlsx, and the document page must show the record's 档号.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import openpyxl
import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from services.archive.service import record_for_document
from services.db import db
from services.gongwen import documents, versions
from services.org.models import User
from services.seal.verify import verify_pdf
from tests.gongwen.fawen_helpers import PASSWORD, load_city
from tests.support.browser import log_in
from tests.support.live_server import LiveServer

SLOW_STEP = 90_000  # ms: 用印 converts to PDF with LibreOffice, the first time from cold
COUNTERSIGN = ("职业与成人教育科", "人事科", "计划财务科")


@dataclass(frozen=True)
class Person:
    username: str
    name: str


@dataclass(frozen=True)
class Cast:
    """Who acts in 市教育局, and the names the pickers search for."""

    clerk: Person
    depthead: Person
    officedir: Person
    leader: Person
    chief: Person
    registrar: Person
    heads: tuple[Person, ...]  # of the three 会签 departments
    year: int


def _person(user: User) -> Person:
    return Person(user.username, user.name)


@pytest.fixture
def cast(live_server: LiveServer) -> Cast:
    """The demo city, the platform CA and 市教育局's seal, 发文 deployed (as `make run`)."""
    with live_server.app_context():
        city = load_city()
        heads = []
        for department in COUNTERSIGN:
            head = db.session.scalars(
                select(User).where(
                    User.department_id == city.departments[department].id,
                    User.position_code == "dept_head",
                )
            ).one()
            heads.append(_person(head))
        people = {name: _person(city.user(name)) for name in city.people}
        return Cast(**people, heads=tuple(heads), year=documents.beijing_today().year)


class Desks:
    """One logged-in browser tab per person, opened on first use and kept for the test."""

    def __init__(self, browser: Browser, server: LiveServer) -> None:
        self.browser, self.server = browser, server
        self.pages: dict[str, Page] = {}

    def of(self, person: Person) -> Page:
        if person.username not in self.pages:
            context = self.browser.new_context(
                base_url=self.server.url, locale="zh-CN", timezone_id="Asia/Shanghai"
            )
            context.set_default_timeout(20_000)
            page = context.new_page()
            log_in(page, person.username, PASSWORD)
            self.pages[person.username] = page
        return self.pages[person.username]

    def close(self) -> None:
        for page in self.pages.values():
            page.context.close()


@pytest.fixture
def desks(browser: Browser, live_server: LiveServer) -> Iterator[Desks]:
    opened = Desks(browser, live_server)
    yield opened
    opened.close()


def open_task(desks: Desks, person: Person, step: str, title: str) -> Page:
    """``person`` opens 待办 and clicks the ``step`` task of the document called ``title``."""
    page = desks.of(person)
    page.goto("/workbench/")
    row = page.locator(".wb-row").filter(has_text=title)
    row = row.filter(has=page.locator("td[data-label='环节']", has_text=re.compile(f"^{step}$")))
    row.get_by_role("link").first.click()
    expect(page.locator(".wb-summary")).to_contain_text(step)
    return page


def submit(page: Page, step: str, timeout: float = 20_000) -> None:
    page.locator("form.oa-form").get_by_role("button", name="提交").click()
    expect(page.locator(".flash-success")).to_contain_text(f"“{step}”已提交", timeout=timeout)


def pick(page: Page, label: str, search: str, option: str) -> None:
    """Type into an org picker and click the result called ``option``."""
    picker = page.locator(".field-picker").filter(has=page.get_by_role("combobox", name=label))
    picker.get_by_role("combobox", name=label).fill(search)
    picker.get_by_role("option", name=option, exact=True).click()
    expect(picker.locator(".chip").filter(has_text=option)).to_have_count(1)


def pick_departments(page: Page, unit: str, names: tuple[str, ...]) -> None:
    """The 会签 department picker: find the unit, open it, click a department; per name."""
    label = "会签部门"
    picker = page.locator(".field-picker").filter(has=page.get_by_role("combobox", name=label))
    for name in names:
        picker.get_by_role("combobox", name=label).fill(unit)
        picker.get_by_role("option", name=re.compile(f"^{unit}")).first.click()
        picker.get_by_role("option", name=re.compile(f"{name}$")).click()
        expect(picker.locator(".chip").filter(has_text=name)).to_have_count(1)


def opinion(page: Page, label: str, text: str) -> None:
    page.get_by_label(f"本人{label}").fill(text)


def start_fawen(desks: Desks, cast: Cast) -> Page:
    page = desks.of(cast.clerk)
    page.goto("/workbench/start")
    page.get_by_role("button", name="发起“发文”").click()
    expect(page.locator(".wb-summary")).to_contain_text("拟稿")
    return page


def draft_qingshi(page: Page, cast: Cast, title: str) -> None:
    """A 请示 sent to two 主送机关 without a 签发人: gongwen.save refuses it; fixed, it goes."""
    page.get_by_label("文种").select_option("请示")
    page.get_by_label("标题").fill(title)
    pick(page, "主送机关", "市人民政府", "江城市人民政府")
    pick(page, "主送机关", "市财政局", "江城市财政局")
    page.get_by_label("非密").check()
    page.get_by_label("平件").check()
    page.get_by_label("重要", exact=True).check()
    page.get_by_label("份数").fill("3")
    pick_departments(page, "江城市教育局", COUNTERSIGN)
    write_body(
        page,
        ("正文段落", "为保障全市中小学校园安全，拟申请校园安全专项经费。"),
        ("标题", "一、经费用途"),
        ("正文段落", "用于校园监控和安全设施的更新改造。"),
    )
    page.get_by_label("关键词").fill("校园安全")
    page.get_by_label("公开属性").select_option("主动公开")
    page.locator("form.oa-form").get_by_role("button", name="提交").click()

    expect(page.locator(".flash-error")).to_contain_text("未通过校验")
    expect(page.locator("#f-main_units-error")).to_have_text("请示应当一文一事，只能主送一个机关")
    expect(page.locator("#f-signer_id-error")).to_contain_text("必须确定签发人")
    expect(page.locator("#form-errors")).to_contain_text("请示应当一文一事")
    page.get_by_role("button", name="移除 江城市财政局").click()
    pick_user(page, "拟请签发人", cast.chief.name)


def write_body(page: Page, *paragraphs: tuple[str, str]) -> None:
    """Type the 正文 into the rich-text editor, each paragraph formatted by a toolbar button."""
    editor = page.get_by_role("textbox", name="正文")
    editor.click()
    toolbar = page.get_by_role("toolbar", name="正文格式")
    for number, (style, text) in enumerate(paragraphs):
        if number:
            page.keyboard.press("Enter")
        toolbar.get_by_role("button", name=style, exact=True).click()
        page.keyboard.insert_text(text)
    expect(editor).to_contain_text(paragraphs[-1][1])


def pick_user(page: Page, label: str, name: str) -> None:
    picker = page.locator(".field-picker").filter(has=page.get_by_role("combobox", name=label))
    picker.get_by_role("combobox", name=label).fill(name)
    picker.get_by_role("option", name=re.compile(f"^{name}（")).first.click()
    expect(picker.locator(".chip").filter(has_text=name)).to_have_count(1)


def draft_han(page: Page, title: str) -> None:
    page.get_by_label("文种").select_option("函")
    page.get_by_label("标题").fill(title)
    pick(page, "主送机关", "市财政局", "江城市财政局")
    pick(page, "抄送机关", "人力资源", "江城市人力资源和社会保障局")
    page.get_by_label("非密").check()
    page.get_by_label("加急").check()
    page.get_by_label("一般").check()
    page.get_by_label("份数").fill("5")
    write_body(page, ("正文段落", "现商请贵局支持校园安全设施建设。"))
    page.get_by_label("公开属性").select_option("依申请公开")


def review_and_countersign(desks: Desks, cast: Cast, title: str) -> None:
    for head in cast.heads:
        page = open_task(desks, head, "部门会签", title)
        opinion(page, "会签意见", f"{head.name}：同意")
        submit(page, "部门会签")


def office_to_recheck(desks: Desks, cast: Cast, title: str, *, principal: bool) -> None:
    page = open_task(desks, cast.officedir, "办公室核稿", title)
    page.get_by_label("格式、文字无误，送领导审核").check()
    opinion(page, "核稿意见", "格式无误")
    submit(page, "办公室核稿")
    signers = [(cast.leader, "分管领导审核")] + ([(cast.chief, "主要负责人签发")] * principal)
    for person, step in signers:
        page = open_task(desks, person, step, title)
        page.get_by_label("同意", exact=True).check()
        opinion(page, "签发意见", "同意")
        submit(page, step)
    page = open_task(desks, cast.officedir, "复核", title)
    page.get_by_label("无实质性修改").check()
    submit(page, "复核")


def issue(desks: Desks, cast: Cast, title: str) -> None:
    """The 收发员: 登记编号, 套红排版, 用印 and 分发; 归档 follows by itself."""
    steps = (
        ("登记编号", "确认登记并编发文字号"),
        ("套红排版", "已核对套红文件"),
        ("用印", "确认加盖本单位印章"),
        ("分发", "确认分发到主送、抄送机关"),
    )
    for step, confirm in steps:
        page = open_task(desks, cast.registrar, step, title)
        page.get_by_label(confirm).check()
        submit(page, step, timeout=SLOW_STEP)


def document_id_of(page: Page, title: str) -> int:
    page.goto("/gongwen/outgoing")
    row = page.locator(".gw-row").filter(has_text=title)
    expect(row.locator(".gw-status, td[data-label='状态']")).to_have_text("已归档")
    return int(row.get_attribute("data-document-id") or 0)


def check_issued(page: Page, server: LiveServer, cast: Cast, title: str, archive_code: str) -> int:
    """The document page: sealed PDF valid, 文号 in the 登记本, the 档号 shown and verified."""
    document_id = document_id_of(page, title)
    page.goto(f"/gongwen/{document_id}")
    number = page.locator(".gw-fields dt:text-is('发文字号') + dd").inner_text()
    with page.expect_download() as caught:
        page.get_by_role("link", name=re.compile("^盖章版（PDF）")).click()
    sealed = caught.value.path().read_bytes()
    archive = page.locator(".gw-archive")
    expect(archive.locator(".gw-archive-code")).to_have_text(archive_code)
    archive.get_by_role("button", name="校验").click()
    expect(page.locator(".gw-archive-check")).to_contain_text("校验通过")
    assert seal_is_valid(server, sealed)
    with server.app_context():
        record = record_for_document(document_id)
        assert record is not None
        assert (record.archive_code, record.doc_number) == (archive_code, number)
    assert number in register_numbers(page, cast.year)
    return document_id


def seal_is_valid(server: LiveServer, pdf: bytes) -> bool:
    """services.seal.verify on the downloaded bytes; in a thread of its own, because pyHanko
    runs an asyncio loop and Playwright's sync API keeps one running in this thread."""

    def verify() -> bool:
        with server.app_context():
            return verify_pdf(pdf).valid

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(verify).result()


def register_numbers(page: Page, year: int) -> list[str]:
    """The 文号 column of the 登记本 .xlsx exported from 发文管理."""
    page.goto("/gongwen/outgoing")
    form = page.locator(".gw-register-form")
    form.get_by_label("年度").fill(str(year))
    with page.expect_download() as caught:
        form.get_by_role("button", name="导出 Excel").click()
    workbook = openpyxl.load_workbook(io.BytesIO(caught.value.path().read_bytes()))
    rows = list(workbook.active.iter_rows(values_only=True))
    return [str(r[1]) for r in rows[2:]]


def test_qingshi_and_han_from_draft_to_archive(
    desks: Desks, live_server: LiveServer, cast: Cast
) -> None:
    year = cast.year
    qingshi = "江城市教育局关于申请校园安全专项经费的请示"
    page = start_fawen(desks, cast)
    draft_qingshi(page, cast, qingshi)
    submit(page, "拟稿")

    # 部门核稿 sends it back with a reason; the clerk sees why and resubmits.
    page = open_task(desks, cast.depthead, "部门核稿", qingshi)
    back = page.locator("form.wb-op").filter(has=page.get_by_role("button", name="退回"))
    back.get_by_label("退回到").select_option(label="拟稿")
    back.get_by_label("理由").fill("请补充经费测算依据")
    back.get_by_role("button", name="退回").click()
    expect(page.locator(".flash-success")).to_contain_text("已退回")
    page = open_task(desks, cast.clerk, "拟稿", qingshi)
    expect(page.locator(".wb-sent-back")).to_contain_text("退回理由：请补充经费测算依据")
    page.get_by_label("拟稿说明").fill("已补充经费测算依据")
    submit(page, "拟稿")
    page = open_task(desks, cast.depthead, "部门核稿", qingshi)
    opinion(page, "核稿意见", "同意，请会签")
    submit(page, "部门核稿")

    review_and_countersign(desks, cast, qingshi)
    office_to_recheck(desks, cast, qingshi, principal=True)
    issue(desks, cast, qingshi)

    han = "江城市教育局关于商请支持校园安全设施建设的函"
    page = start_fawen(desks, cast)
    draft_han(page, han)
    submit(page, "拟稿")
    page = open_task(desks, cast.depthead, "部门核稿", han)
    opinion(page, "核稿意见", "同意")
    submit(page, "部门核稿")
    office_to_recheck(desks, cast, han, principal=False)
    issue(desks, cast, han)

    office = desks.of(cast.officedir)
    qingshi_id = check_issued(office, live_server, cast, qingshi, f"J021-WS·{year}-Y-JJK-0001")
    check_issued(office, live_server, cast, han, f"J021-WS·{year}-D10-JJK-0001")
    with live_server.app_context():
        final = versions.final_version(qingshi_id)
        assert final is not None and final.html is not None
        assert "<h3>一、经费用途</h3>" in final.html  # the editor's 标题 button
        assert "<p>用于校园监控和安全设施的更新改造。</p>" in final.html
