"""收文查询, 收文登记本 and 收文统计: each filter, sorting, paging, the exports in 收文号 order, the
statistics, and the scope: a user of 市财政局 sees nothing of 市交通局's 收文 by any page, export,
search or guessed id; a clerk sees only what they took part in."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any

import docx
import openpyxl
import pytest

from services.auth import accounts
from services.db import db
from services.errors import Forbidden, ValidationFailed
from services.gongwen import incoming_queries as iq
from services.gongwen.documents import create_document
from services.gongwen.exchange_models import IncomingRecord
from services.org.grants import grant_role
from services.org.models import Department, Unit, User
from services.org.roles import REGISTRAR
from tests.auth.helpers import PASSWORD, ensure_sysadmin
from tests.org.factories import make_department, make_unit, make_user
from tests.workbench.helpers import logged_in

BEIJING = timezone(timedelta(hours=8))
SECRET_TITLE = "交通局内部开学安排请示"


@dataclass
class Desk:
    unit: Unit
    other: Unit
    director: User  # 办公室主任 of 市财政局: the whole unit's 收文
    registrar: User  # 收发员 of 市财政局
    clerk: User  # signed for one 收文 only
    idle: User  # took part in nothing
    outsider: User  # 办公室主任 of 市交通局
    records: dict[str, IncomingRecord]
    foreign: IncomingRecord


def _person(username: str, office: Department, name: str, position: str = "staff") -> User:
    user = make_user(username, department=office, position=position, name=name)
    accounts.set_password(user, PASSWORD, must_change=False)
    return user


def _incoming(unit: Unit, keeper: User, title: str, **fields: Any) -> IncomingRecord:
    document = create_document(
        direction="in",
        unit_id=unit.id,
        doc_type="通知",
        title=title,
        drafter_id=keeper.id,
        status="received",
        copies=fields.pop("copies", 2),
    )
    delivered = fields.pop("delivered", None) or datetime(2025, 3, 1, 9, tzinfo=BEIJING)
    record = IncomingRecord(document_id=document.id, unit_id=unit.id, delivered_at=delivered)
    for name, value in fields.items():
        setattr(record, name, date.fromisoformat(value) if name == "received_date" else value)
    db.session.add(record)
    db.session.flush()
    return record


# key: (收文号, 收文日期, 来文单位, 来文文号, 标题, 类别, 状态)
ROWS = {
    "notice": ("2025-0003", "2025-03-05", "市教育局", "江教发〔2025〕9号",
               "关于做好秋季开学工作的通知", "普发件", "已签收"),
    "letter": ("2025-0001", "2025-01-10", "市人社局", "江人社函〔2025〕2号",
               "关于报送人员编制情况的函", "函件", "已办结"),
    "request": ("2025-0010", "2025-03-20", "市教育局", "江教发〔2025〕15号",
                "关于开展安全检查的请示", "请示", "已签收"),
    "report": ("2025-0002", "2025-01-15", "市政府办公室", "江府办〔2025〕1号",
               "年度工作报告", "报告", "已办结"),
    "old": ("2024-0005", "2024-12-30", "市教育局", "江教发〔2024〕40号",
            "2024年度总结报告", "报告", "已办结"),
}  # fmt: skip


@pytest.fixture
def desk(app: Any) -> Desk:
    ensure_sysadmin()
    unit, other = make_unit("市财政局"), make_unit("市交通局")
    office = make_department("办公室", unit=unit, is_office=True)
    director = _person("director", office, "钱主任", "office_director")
    registrar = _person("registrar", office, "李收发")
    grant_role(registrar, REGISTRAR, unit.id)
    clerk, idle = _person("clerk", office, "张科员"), _person("idle", office, "赵科员")
    elsewhere = make_department("办公室", unit=other, is_office=True)
    outsider = _person("outsider", elsewhere, "王主任", "office_director")
    records = {}
    for key, (number, received, source, doc_number, title, category, status) in ROWS.items():
        records[key] = _incoming(
            unit, registrar, title, receipt_number=number, received_date=received,
            from_unit=source, from_doc_number=doc_number, category=category, status=status,
        )  # fmt: skip
    records["request"].signed_by_id = clerk.id
    records["fresh"] = _incoming(
        unit, registrar, "关于审计整改的通知", from_unit="市审计局", category="普发件",
        status="已送达", delivered=datetime(2025, 3, 25, 10, tzinfo=BEIJING),
    )  # fmt: skip
    foreign = _incoming(
        other, outsider, SECRET_TITLE, receipt_number="2025-0001", received_date="2025-03-01",
        from_unit="市教育局", from_doc_number="江教发〔2025〕9号", category="普发件",
        status="已签收",
    )  # fmt: skip
    db.session.commit()
    return Desk(unit, other, director, registrar, clerk, idle, outsider, records, foreign)


def _whole(desk: Desk) -> iq.IncomingScope:
    return iq.IncomingScope(user_id=desk.director.id, unit_id=desk.unit.id, whole_unit=True)


def _keys(desk: Desk, page: iq.IncomingPage) -> list[str]:
    names = {r.id: k for k, r in desk.records.items()}
    return [names.get(r.id, "FOREIGN") for r in page.items]


def _found(desk: Desk, **filters: Any) -> list[str]:
    page = iq.list_incoming(_whole(desk), iq.IncomingFilters(**filters), per_page=100)
    return sorted(_keys(desk, page))


# ---------------------------------------------------------------- filters, sorting, paging


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({}, ["fresh", "letter", "notice", "old", "report", "request"]),
        ({"received_from": date(2025, 3, 1), "received_to": date(2025, 3, 31)},
         ["fresh", "notice", "request"]),
        ({"received_to": date(2024, 12, 31)}, ["old"]),
        ({"doc_number": "江教发"}, ["notice", "old", "request"]),
        ({"receipt_number": "2025-000"}, ["letter", "notice", "report"]),
        ({"serial": 10}, ["request"]),
        ({"serial": 5}, ["old"]),
        ({"keyword": "开学"}, ["notice"]),
        ({"keyword": "人社"}, ["letter"]),
        ({"title": "报告"}, ["old", "report"]),
        ({"from_unit": "教育局"}, ["notice", "old", "request"]),
        ({"category": "报告"}, ["old", "report"]),
        ({"status": "已送达"}, ["fresh"]),
        ({"keyword": "100%_"}, []),
        ({"from_unit": "教育局", "received_from": date(2025, 1, 1), "category": "请示"},
         ["request"]),
    ],
)  # fmt: skip
def test_each_filter(desk, filters, expected):
    assert _found(desk, **filters) == expected


def test_sorting_and_paging(desk):
    def order(**filters: Any) -> list[str]:
        page = iq.list_incoming(_whole(desk), iq.IncomingFilters(**filters), per_page=100)
        return _keys(desk, page)

    by_number = ["old", "letter", "report", "notice", "request", "fresh"]
    assert order(sort="receipt_number", descending=False) == by_number
    assert order(sort="received", descending=False) == by_number  # unregistered last
    assert order(sort="received")[:5] == by_number[4::-1]
    assert order(sort="status", descending=False)[0] == "fresh"
    assert order(sort="category", descending=False)[:2] == ["notice", "fresh"]
    by_unit = order(sort="from_unit", descending=False)  # collation differs per database
    same_unit = [by_unit.index(k) for k in ("notice", "request", "old")]
    assert same_unit == list(range(same_unit[0], same_unit[0] + 3))  # together, ties by id
    filters = iq.IncomingFilters(sort="receipt_number", descending=False)
    second = iq.list_incoming(_whole(desk), filters, page=2, per_page=2)
    assert (second.total, second.pages, _keys(desk, second)) == (6, 3, ["report", "notice"])


def test_bad_filters_are_refused(desk):
    with pytest.raises(ValidationFailed) as refused:
        iq.list_incoming(_whole(desk), iq.IncomingFilters(category="电报", sort="color"))
    assert set(refused.value.errors) == {"category", "sort"}


def test_receipt_key_orders_by_sequence():
    numbers = ["2025-10000", "2025-0002", "2024-0009", "其他"]
    assert sorted(numbers, key=iq.receipt_key) == ["其他", "2024-0009", "2025-0002", "2025-10000"]


# ---------------------------------------------------------------- scope


def test_scope_of_a_clerk_is_what_they_took_part_in(desk):
    clerk = iq.IncomingScope(user_id=desk.clerk.id, unit_id=desk.unit.id)
    assert _keys(desk, iq.list_incoming(clerk, iq.IncomingFilters())) == ["request"]
    idle = iq.IncomingScope(user_id=desk.idle.id, unit_id=desk.unit.id)
    assert iq.list_incoming(idle, iq.IncomingFilters()).total == 0
    desk.records["fresh"].instance_id = 4242
    took_part = iq.IncomingScope(desk.idle.id, desk.unit.id, instance_ids=frozenset({4242}))
    assert _keys(desk, iq.list_incoming(took_part, iq.IncomingFilters())) == ["fresh"]
    with pytest.raises(Forbidden):
        iq.visible_incoming(desk.records["notice"].id, idle)
    with pytest.raises(Forbidden):
        iq.visible_incoming(desk.foreign.id, _whole(desk))
    assert iq.visible_incoming(desk.records["request"].id, clerk).id == desk.records["request"].id


def test_query_page_shows_only_own_unit(client, desk):
    logged_in(client, "director")
    page = client.get("/shouwen/query?q=开学").get_data(as_text=True)
    assert "关于做好秋季开学工作的通知" in page
    assert SECRET_TITLE not in page
    everything = client.get("/shouwen/query?sort=title&dir=asc")
    assert everything.status_code == 200
    assert SECRET_TITLE not in everything.get_data(as_text=True)
    assert "共 6 件" in everything.get_data(as_text=True)
    assert client.get("/shouwen/").get_data(as_text=True).count("/shouwen/query") >= 1


@pytest.mark.parametrize("username", ["director", "registrar", "clerk", "idle"])
def test_unit_b_user_never_sees_unit_c(client, desk, username):
    logged_in(client, username)
    for query in ("q=交通局", "doc_number=江教发〔2025〕9号", "receipt_number=2025-0001",
                  "from_unit=市教育局", "serial=1", "title=内部开学"):  # fmt: skip
        found = client.get(f"/shouwen/query.json?{query}").get_json()
        assert desk.foreign.id not in [item["id"] for item in found["items"]], query
        assert SECRET_TITLE not in client.get(f"/shouwen/query?{query}").get_data(as_text=True)
    guessed = desk.foreign.id
    for path in (f"/shouwen/{guessed}", f"/shouwen/{guessed}.json",
                 f"/shouwen/{guessed}/files/1", f"/shouwen/{guessed}/register"):  # fmt: skip
        assert client.get(path).status_code in (403, 404), path
    book = client.get("/shouwen/register.xlsx?year=2025&month=3").data
    cells = [c for row in openpyxl.load_workbook(io.BytesIO(book)).active.values for c in row]
    assert SECRET_TITLE not in cells
    document = docx.Document(io.BytesIO(client.get("/shouwen/register.docx?year=2025").data))
    assert SECRET_TITLE not in [c.text for row in document.tables[0].rows for c in row.cells]
    stats = client.get("/shouwen/stats?from=2025-03-01&to=2025-03-01").get_data(as_text=True)
    assert 'id="sw-total">0<' in stats


def test_clerk_query_json_lists_only_their_record(client, desk):
    logged_in(client, "clerk")
    found = client.get("/shouwen/query.json").get_json()
    assert [item["id"] for item in found["items"]] == [desk.records["request"].id]
    assert client.get("/shouwen/query.json?serial=abc").status_code == 422


def test_unit_c_sees_its_own(client, desk):
    logged_in(client, "outsider")
    found = client.get("/shouwen/query.json").get_json()
    assert [item["id"] for item in found["items"]] == [desk.foreign.id]
    other = client.get("/shouwen/stats?from=2025-01-01&to=2025-12-31").get_data(as_text=True)
    assert 'id="sw-total">1<' in other


# ---------------------------------------------------------------- 收文登记本


def test_register_xlsx_in_receipt_number_order(client, desk):
    logged_in(client, "registrar")
    response = client.get("/shouwen/register.xlsx?year=2025")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(openpyxl.load_workbook(io.BytesIO(response.data)).active.values)
    assert rows[0][0] == "市财政局2025年收文登记本"
    assert rows[1] == iq.REGISTER_HEADERS
    assert [r[1] for r in rows[2:]] == ["2025-0001", "2025-0002", "2025-0003", "2025-0010"]
    assert rows[2] == ("1", "2025-0001", "2025-01-10", "市人社局", "江人社函〔2025〕2号",
                       "关于报送人员编制情况的函", "函件", "无", "2", None, "已办结",
                       "—")  # fmt: skip


def test_register_docx_per_month_and_category(client, desk):
    logged_in(client, "director")
    march = docx.Document(io.BytesIO(client.get("/shouwen/register.docx?year=2025&month=3").data))
    assert march.paragraphs[0].text == "市财政局2025年3月收文登记本"
    assert tuple(c.text for c in march.tables[0].rows[0].cells) == iq.REGISTER_HEADERS
    assert [r.cells[1].text for r in march.tables[0].rows[1:]] == ["2025-0003", "2025-0010"]
    response = client.get("/shouwen/register.docx?year=2025&category=报告")
    reports = docx.Document(io.BytesIO(response.data))
    assert reports.paragraphs[0].text == "市财政局2025年收文登记本（报告）"
    assert [r.cells[5].text for r in reports.tables[0].rows[1:]] == ["年度工作报告"]
    assert client.get("/shouwen/register.xlsx?year=2025&month=13").status_code in (400, 422)
    assert client.get("/shouwen/register.xlsx?year=abc").status_code in (400, 422)


# ---------------------------------------------------------------- 收文统计


def test_statistics_numbers(desk):
    stats = iq.incoming_stats(_whole(desk), date(2025, 1, 1), date(2025, 12, 31))
    assert stats.total == 5
    assert stats.by_category == [("普发件", 2), ("报告", 1), ("请示", 1), ("函件", 1)]
    assert stats.by_status == [("已送达", 1), ("已签收", 2), ("已办结", 2)]
    assert stats.by_month == [("2025-01", 2), ("2025-03", 3)]
    assert stats.by_from_unit[0] == ("市教育局", 2)
    assert dict(stats.by_from_unit) == {
        "市教育局": 2,
        "市人社局": 1,
        "市政府办公室": 1,
        "市审计局": 1,
    }


def test_statistics_page_and_export(client, desk):
    logged_in(client, "director")
    page = client.get("/shouwen/stats?from=2024-01-01&to=2025-12-31").get_data(as_text=True)
    assert 'id="sw-total">6<' in page
    assert "按来文单位" in page and "市审计局" in page and SECRET_TITLE not in page
    response = client.get("/shouwen/stats.xlsx?from=2025-01-01&to=2025-12-31")
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == ["按类别", "按来文单位", "按月份", "按状态", "按收文类别"]
    months = list(book["按月份"].values)
    assert months[1:] == [("月份", "件数"), ("2025-01", "2"), ("2025-03", "3"), ("合计", "5")]
    assert client.get("/shouwen/stats?from=bad").status_code in (400, 422)
