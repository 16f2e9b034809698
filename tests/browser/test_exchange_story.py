"""公文交换 end to end in Chromium (issue 6 acceptance).

市教育局 (unit A) issues a 通知 to 12 units; the 发文 is brought to 分发 through the engine API
with the real processes/fawen.bpmn (test_fawen.py drafts one in the browser). Everything after
that is done by the people of the recipient units through the real pages: three 收发员 签收 from
their 收文箱, one 退文s it with a reason, and 市财政局 handles it: 签收, 登记 (收文号), 初审,
拟办, the leader's 批示 (主办 + 2 协办 + 传阅 to 4 people), 主办 and 协办 feedback, three
readers 阅知, 办结 with a 答复 and 归档. Unit A's document page then shows each recipient's
status; 市财政局's 收文登记本 (.xlsx) lists the 收文 under its 收文号 and the 收文处理单 (.docx)
carries the opinions, the feedback, the readers and the result.
"""

from __future__ import annotations

import io
import os
import re
import shutil
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import docx
import openpyxl
import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from engine import api
from services.db import db
from services.gongwen import documents
from services.org import directory
from services.org.models import Unit, User
from tests.browser.test_fawen import Desks, Person, open_task, submit
from tests.gongwen.fawen_helpers import (
    City,
    act,
    draft_data,
    issue,
    load_city,
    review_and_sign,
    start,
)
from tests.shouwen.helpers import departments, head, leader, office_director, registrar
from tests.support.live_server import LiveServer

TITLE = "江城市教育局关于做好2025年秋季学期开学工作的通知"
HANDLER, RETURNER, SIGNERS = "czj", "rsj", ("fgw", "kjj", "gxj")
UNTOUCHED = ("mzj", "sfj", "zrj", "sthj", "zjj", "gaj", "sw")
RECIPIENTS = (HANDLER, RETURNER, *SIGNERS, *UNTOUCHED)
RETURN_REASON = "本局不承担中小学开学工作，请核实主送机关后重新发送"
PROPOSAL = "建议由业务科室主办，两个相关科室协办，并请领导传阅"
INSTRUCTION = "同意拟办意见，请抓紧落实开学经费保障"
HOST_FEEDBACK = "已下达开学经费预算指标"
CO_FEEDBACK = ("已核拨开学专项资金", "已汇总各校经费需求")
RESULT = "开学经费已全部落实到位"
REPLY = "我局已按通知要求落实秋季开学经费保障"
READ_COMMENT = "已阅，照办"
SLOW_STEP = 90_000  # ms: 归档 renders the 收文处理单 PDF with LibreOffice
# Set OA_SCREENSHOT_DIR to also save unit A's 分发与签收情况 there (docs/screenshots).
SCREENSHOT_DIR = os.environ.get("OA_SCREENSHOT_DIR")


@dataclass(frozen=True)
class Handler:
    """The people of 市财政局 who act on the 收文."""

    registrar: Person
    officedir: Person
    leader: Person
    host: Person  # head of the 主办部门
    co: tuple[Person, Person]  # heads of the two 协办部门
    readers: tuple[Person, ...]  # the four 传阅 readers; the last one does not read
    unit: str
    host_department: str
    co_departments: tuple[str, str]


@dataclass(frozen=True)
class Story:
    document_id: int
    doc_number: str
    clerk: Person  # unit A's drafter, who follows the recipients
    names: dict[str, str]  # unit code -> unit name
    registrars: dict[str, Person]  # unit code -> its 收发员
    handler: Handler


def _person(user: User) -> Person:
    return Person(user.username, user.name)


def _handler(unit: Unit) -> Handler:
    host_dept, co1, co2, other = departments(unit)[:4]
    officedir, registrar_ = office_director(unit), registrar(unit)
    deputy = directory.unit_leaders(unit.id)[1]  # leader() is the 主要负责人
    readers = (registrar_, officedir, head(other), deputy)
    return Handler(
        registrar=_person(registrar_),
        officedir=_person(officedir),
        leader=_person(leader(unit)),
        host=_person(head(host_dept)),
        co=(_person(head(co1)), _person(head(co2))),
        readers=tuple(_person(u) for u in readers),
        unit=unit.name,
        host_department=host_dept.name,
        co_departments=(co1.name, co2.name),
    )


def _issue_fawen(city: City) -> int:
    """The 通知 drafted, signed and 分发 through the engine; the messages delivered."""
    units = [city.units[code].id for code in RECIPIENTS]
    data = draft_data(city, doc_type="通知", title=TITLE, main_units=units)
    data.update(copy_units=[], copy_external=[], importance="一般")
    instance_id = start(city)
    act(instance_id, city.user("clerk"), data, "拟稿")
    review_and_sign(city, instance_id, principal=False)
    issue(city, instance_id)
    assert api.deliver_messages(worker_id="story") == len(RECIPIENTS)
    db.session.commit()
    document = documents.document_for_instance(instance_id)
    assert document is not None
    return document.id


@pytest.fixture
def story(live_server: LiveServer) -> Story:
    """Seeded in a thread of its own: 用印 signs with pyHanko, which runs an asyncio loop, and
    Playwright's sync API keeps one running in this thread."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(_seed, live_server).result()


def _seed(live_server: LiveServer) -> Story:
    with live_server.app_context():
        city = load_city()
        document_id = _issue_fawen(city)
        document = documents.get_document(document_id)
        units = {code: city.units[code] for code in RECIPIENTS}
        return Story(
            document_id=document_id,
            doc_number=document.doc_number or "",
            clerk=_person(city.user("clerk")),
            names={code: unit.name for code, unit in units.items()},
            registrars={code: _person(registrar(unit)) for code, unit in units.items()},
            handler=_handler(units[HANDLER]),
        )


@pytest.fixture
def desks(browser: Browser, live_server: LiveServer) -> Iterator[Desks]:
    opened = Desks(browser, live_server)
    yield opened
    opened.close()


def inbox_row(page: Page) -> Locator:
    page.goto("/shouwen/")
    return page.locator(".sw-inbox tr").filter(has_text=TITLE)


def sign_for(desks: Desks, clerk: Person) -> None:
    """The 收发员 signs for the 收文 straight from the 收文箱."""
    page = desks.of(clerk)
    row = inbox_row(page)
    expect(row.locator(".sw-status")).to_have_text("已送达")
    row.get_by_role("button", name="签收").click()
    expect(page.locator(".flash-success")).to_contain_text("已签收")
    expect(inbox_row(page).locator(".sw-status")).to_have_text("已签收")


def return_it(desks: Desks, clerk: Person) -> None:
    """退文 from the 收文 page, with the reason."""
    page = desks.of(clerk)
    inbox_row(page).get_by_role("link", name="退文").click()
    page.get_by_label("退文理由").fill(RETURN_REASON)
    page.get_by_role("button", name="退文", exact=True).click()
    expect(page.locator(".flash-success")).to_contain_text("已退文")
    expect(inbox_row(page).locator(".sw-status")).to_have_text("已退文")


def sign_and_register(desks: Desks, story: Story) -> str:
    """市财政局's 收发员: 签收, then 登记 on the prefilled page; returns the 收文号."""
    clerk = story.handler.registrar
    sign_for(desks, clerk)
    page = desks.of(clerk)
    inbox_row(page).get_by_role("link", name="登记").click()
    expect(page.get_by_role("textbox", name="来文单位")).to_have_value("江城市教育局")
    expect(page.get_by_role("textbox", name="来文文号")).to_have_value(story.doc_number)
    page.get_by_role("combobox", name="类别", exact=True).select_option("普发件")
    page.get_by_label("需要答复来文单位").check()
    page.locator("form.oa-form").get_by_role("button", name="登记").click()
    expect(page.locator(".flash-success")).to_contain_text("已登记")
    number = inbox_row(page).locator("td").first.inner_text().strip()
    assert number and number != "—"
    return number


def picker(page: Page, field: str) -> Locator:
    """The org picker of the task form's ``field`` (the page also has its own 传阅 picker)."""
    return page.locator(".field-picker").filter(has=page.locator(f"#f-{field}"))


def pick_department(page: Page, field: str, unit: str, name: str) -> None:
    """The department picker: find the unit, open it, click the department."""
    found = picker(page, field)
    page.wait_for_load_state("domcontentloaded")  # forms.js (deferred) listens from then on
    page.locator(f"#f-{field}").fill(unit)
    found.get_by_role("option", name=re.compile(f"^{unit}")).first.click()
    found.get_by_role("option", name=re.compile(f"{name}$")).click()
    expect(found.locator(".chip").filter(has_text=name)).to_have_count(1)


def pick_reader(page: Page, name: str) -> None:
    found = picker(page, "readers")
    page.wait_for_load_state("domcontentloaded")
    page.locator("#f-readers").fill(name)
    found.get_by_role("option", name=re.compile(f"^{name}（")).first.click()
    expect(found.locator(".chip").filter(has_text=name)).to_have_count(1)


def office_steps(desks: Desks, story: Story) -> None:
    officedir = story.handler.officedir
    page = open_task(desks, officedir, "初审", TITLE)
    page.get_by_label("受理，送拟办").check()
    submit(page, "初审")
    page = open_task(desks, officedir, "拟办", TITLE)
    page.get_by_label("拟办意见").fill(PROPOSAL)
    submit(page, "拟办")


def instruct(desks: Desks, story: Story) -> None:
    """The leader claims the candidate 批示 task and names 主办, 协办 and the 传阅 readers."""
    handler = story.handler
    page = desks.of(handler.leader)
    page.goto("/workbench/?tab=claimable")
    row = page.locator(".wb-row").filter(has_text=TITLE)
    row.get_by_role("button", name="签收").click()
    expect(page.locator(".wb-summary")).to_contain_text("领导批示")
    page.get_by_label("批示意见").fill(INSTRUCTION)
    pick_department(page, "host_department", handler.unit, handler.host_department)
    for name in handler.co_departments:
        pick_department(page, "co_departments", handler.unit, name)
    for reader in handler.readers:
        pick_reader(page, reader.name)
    page.locator("#f-circulate_note").fill("请阅知开学经费安排")
    submit(page, "领导批示")


def handle(desks: Desks, story: Story) -> None:
    """主办 and both 协办 departments give their feedback (in parallel in the process)."""
    handler = story.handler
    for person, text in zip(handler.co, CO_FEEDBACK, strict=True):
        page = open_task(desks, person, "协办部门办理", TITLE)
        page.get_by_label("协办意见").fill(text)
        submit(page, "协办部门办理")
    page = open_task(desks, handler.host, "主办部门办理", TITLE)
    page.get_by_label("办理情况").fill(HOST_FEEDBACK)
    submit(page, "主办部门办理")


def read_circulated(desks: Desks, reader: Person) -> None:
    page = desks.of(reader)
    page.goto("/workbench/?tab=toread")
    row = page.locator(".wb-row").filter(has_text=TITLE)
    row.get_by_role("checkbox").check()
    page.get_by_label("阅知意见").fill(READ_COMMENT)
    page.get_by_role("button", name="批量阅知").click()
    expect(page.locator(".flash-success")).to_contain_text("已阅知 1 件")


def finish_and_archive(desks: Desks, story: Story) -> None:
    handler = story.handler
    page = open_task(desks, handler.officedir, "办结", TITLE)
    page.get_by_label("办理结果").fill(RESULT)
    page.get_by_label("答复来文单位").fill(REPLY)
    submit(page, "办结")
    page = open_task(desks, handler.registrar, "归档", TITLE)
    page.get_by_label("确认办理完毕，归档").check()
    submit(page, "归档", timeout=SLOW_STEP)


@dataclass(frozen=True)
class Sheet:
    """A downloaded 收文处理单: its heading and its boxes (label -> content)."""

    heading: str
    boxes: dict[str, str]


def download_sheet(page: Page) -> Sheet:
    """The 收文处理单 .docx downloaded from the 收文 page, read with python-docx."""
    page.goto("/shouwen/")
    page.get_by_role("link", name=TITLE).click()
    sheet = page.locator("section").filter(has=page.get_by_role("heading", name="收文处理单"))
    with page.expect_download() as caught:
        sheet.get_by_role("link", name="收文处理单.docx").click()
    document = docx.Document(io.BytesIO(caught.value.path().read_bytes()))
    boxes: dict[str, str] = {}
    for table in document.tables:
        for row in table.rows:
            # A wide row repeats its merged content cell; a pair row is label, value, label, value.
            cells = [cell.text.strip() for cell in row.cells]
            boxes[cells[0]] = cells[1]
            if len(cells) == 4 and cells[2] != cells[1]:
                boxes[cells[2]] = cells[3]
    heading = next(p.text for p in document.paragraphs if p.text.strip())
    return Sheet(heading, boxes)


def check_query_page(page: Page, number: str) -> None:
    """收文查询 lists the 收文 under its 收文号, 办结."""
    page.goto("/shouwen/query")
    row = page.locator(".sw-query tbody tr").filter(has_text=TITLE)
    expect(row.locator("td").first).to_have_text(number)
    expect(row.locator("td").last).to_have_text("已办结")


def register_rows(page: Page) -> list[tuple[str, ...]]:
    """The lines of this year's 收文登记本 .xlsx exported from 收文查询."""
    page.goto("/shouwen/query")
    form = page.locator(".gw-register-form")
    form.get_by_label("年度").fill(str(documents.beijing_today().year))
    with page.expect_download() as caught:
        form.get_by_role("button", name="导出 Excel").click()
    workbook = openpyxl.load_workbook(io.BytesIO(caught.value.path().read_bytes()))
    sheet = workbook.active
    assert sheet is not None
    return [tuple(str(c or "") for c in row) for row in sheet.iter_rows(values_only=True)]


def check_sheet(sheet: Sheet, story: Story, number: str) -> None:
    """The 登记 elements, each opinion with who gave it, the 答复 and the 传阅 record."""
    handler = story.handler
    assert sheet.heading == f"{handler.unit}收文处理单"
    text = "\n".join(f"{label}：{value}" for label, value in sheet.boxes.items())
    for expected in (number, TITLE, story.doc_number, "江城市教育局"):
        assert expected in text, (expected, text)
    boxes = sheet.boxes
    for label, expected, people in (
        ("拟办意见", [PROPOSAL], [handler.officedir]),
        ("领导批示", [INSTRUCTION], [handler.leader]),
        ("主办部门办理情况", [HOST_FEEDBACK], [handler.host]),
        ("协办部门意见", list(CO_FEEDBACK), list(handler.co)),
        ("办理结果", [RESULT], [handler.officedir]),
        ("答复来文单位", [REPLY], []),
    ):
        for part in [*expected, *(p.name for p in people)]:
            assert part in boxes[label], (label, part, boxes[label])
    *read, unread = handler.readers
    for reader in read:
        assert re.search(f"{reader.name}　已阅　.+　{READ_COMMENT}", boxes["传阅情况"]), reader
    assert f"{unread.name}　未阅" in boxes["传阅情况"]


def recipient_row(page: Page, story: Story, code: str) -> Locator:
    table = page.locator(".sw-recipients tbody tr")
    return table.filter(has=page.locator("td", has_text=re.compile(f"^{story.names[code]}$")))


def check_sender_view(page: Page, story: Story) -> None:
    """Unit A's document page: the status of every recipient, with who/when/why/答复."""
    page.goto(f"/gongwen/{story.document_id}")
    section = page.locator(".sw-recipients")
    expect(section.locator("tbody tr")).to_have_count(len(RECIPIENTS))
    for code in UNTOUCHED:
        row = recipient_row(page, story, code)
        expect(row.locator(".sw-status")).to_have_text("已送达")
        expect(row.locator("td").nth(4)).to_have_text("—")
    moment = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}")
    for code in SIGNERS:
        row = recipient_row(page, story, code)
        expect(row.locator(".sw-status")).to_have_text("已签收")
        signed = row.locator("td").nth(4)
        expect(signed).to_contain_text(story.registrars[code].name)
        expect(signed).to_contain_text(moment)
    row = recipient_row(page, story, RETURNER)
    expect(row.locator(".sw-status")).to_have_text("已退文")
    expect(row.locator("td").nth(4)).to_have_text("—")
    expect(row.locator("td").nth(5)).to_contain_text(RETURN_REASON)
    expect(row.locator("td").nth(5)).to_contain_text(moment)
    row = recipient_row(page, story, HANDLER)
    expect(row.locator(".sw-status")).to_have_text("已办结")
    expect(row.locator("td").nth(4)).to_contain_text(story.handler.registrar.name)
    expect(row.locator("td").nth(6)).to_contain_text(f"答复：{REPLY}")


def save_screenshot(page: Page, tmp_path: Path) -> None:
    """The 分发与签收情况 section, for the README tour."""
    path = tmp_path / "exchange-status.png"
    page.locator(".sw-recipients").screenshot(path=path)
    assert path.stat().st_size > 10_000
    if SCREENSHOT_DIR:
        shutil.copyfile(path, Path(SCREENSHOT_DIR) / path.name)


def test_notice_to_twelve_units_signed_returned_and_handled(
    desks: Desks, story: Story, tmp_path: Path
) -> None:
    for code in SIGNERS:
        sign_for(desks, story.registrars[code])
    return_it(desks, story.registrars[RETURNER])

    number = sign_and_register(desks, story)
    office_steps(desks, story)
    instruct(desks, story)
    handle(desks, story)
    for reader in story.handler.readers[:3]:
        read_circulated(desks, reader)
    finish_and_archive(desks, story)

    registrar_page = desks.of(story.handler.registrar)
    check_sheet(download_sheet(registrar_page), story, number)
    check_query_page(registrar_page, number)
    lines = [row for row in register_rows(registrar_page) if number in row]
    assert len(lines) == 1 and TITLE in lines[0] and story.doc_number in lines[0]

    sender = desks.of(story.clerk)
    check_sender_view(sender, story)
    save_screenshot(sender, tmp_path)
