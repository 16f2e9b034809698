"""收文 classes (收报/收抄/收办): the default class of each delivered copy, a 收文编号 sequence of
its own per unit, year and class (``收办〔2025〕1号``), and the class in 收文查询, 登记本 and
统计. Records numbered before the classes existed keep ``2025-0001`` and show "—"."""

from __future__ import annotations

import io
from datetime import date

import openpyxl
import pytest
from sqlalchemy import func, select

from engine import api
from services.db import db
from services.errors import ValidationFailed
from services.gongwen import exchange
from services.gongwen import incoming_queries as iq
from services.gongwen.receipt_classes import default_class, receipt_key
from services.numbering import service as numbering
from services.numbering.models import IssuedNumber
from tests.org.factories import make_unit
from tests.shouwen.helpers import do, issue_to, record_of, registrar, send
from tests.shouwen.test_process import register_form
from tests.shouwen.test_queries import Desk, _incoming, _whole, desk  # noqa: F401
from tests.workbench.helpers import logged_in

# ---------------------------------------------------------------- numbering


def test_each_class_has_its_own_gapless_sequence(app) -> None:
    first, second = make_unit("市财政局"), make_unit("市交通局")
    taken = [
        numbering.reserve_receipt(unit.id, 2025, receipt_class=cls)
        for unit, cls in [
            (first, "收办"), (first, "收报"), (first, "收办"), (second, "收办"),
            (first, "收抄"), (first, "收办"), (first, "收报"),
        ]
    ]  # fmt: skip
    assert taken == [
        "收办〔2025〕1号", "收报〔2025〕1号", "收办〔2025〕2号", "收办〔2025〕1号",
        "收抄〔2025〕1号", "收办〔2025〕3号", "收报〔2025〕2号",
    ]  # fmt: skip
    assert numbering.reserve_receipt(first.id, 2026, receipt_class="收办") == "收办〔2026〕1号"
    # The unclassified sequence is untouched by the classes.
    assert numbering.reserve_receipt(first.id, 2025) == "2025-0001"
    rows = db.session.execute(
        select(IssuedNumber.issuer_code, IssuedNumber.number, func.count())
        .group_by(IssuedNumber.issuer_code, IssuedNumber.number)
        .having(func.count() > 1)
    ).all()
    assert rows == []  # no number handed out twice


def test_a_class_outside_the_pattern_is_refused(app) -> None:
    unit = make_unit("市财政局")
    with pytest.raises(ValidationFailed):
        numbering.reserve_receipt(unit.id, 2025, receipt_class="1:x")


@pytest.mark.parametrize(
    ("category", "copied", "expected"),
    [("普发件", False, "收办"), ("请示", False, "收报"), ("报告", False, "收报"),
     ("请示", True, "收抄"), ("函件", False, "收办"), ("普发件", True, "收抄")],
)  # fmt: skip
def test_default_class(category, copied, expected) -> None:
    assert default_class(category, copied=copied) == expected


def test_receipt_key_orders_classes_and_sequences() -> None:
    numbers = [
        "收办〔2025〕10号",
        "收办〔2025〕2号",
        "2025-0003",
        "收报〔2025〕1号",
        "收办〔2024〕9号",
    ]
    assert sorted(numbers, key=receipt_key) == [
        "收办〔2024〕9号", "2025-0003", "收办〔2025〕2号", "收办〔2025〕10号", "收报〔2025〕1号",
    ]  # fmt: skip


# ---------------------------------------------------------------- through the process


def test_copies_are_received_as_shouchao_and_numbered_per_class(city) -> None:
    czj, rsj = city.units["czj"], city.units["rsj"]
    issued = issue_to(city, ["czj", "rsj"])
    issued.rows[1].kind = "抄送"  # 市人社局 gets a 抄送 copy
    send(city, issued)
    api.deliver_messages(worker_id="w1")
    main, copy = record_of(czj), record_of(rsj)
    assert (main.receipt_class, copy.receipt_class) == ("收办", "收抄")
    year = date.fromisoformat(register_form()["received_date"]).year
    for unit, record in ((czj, main), (rsj, copy)):
        do(record.instance_id, registrar(unit), "签收", {"sign_action": "签收"})
        do(record.instance_id, registrar(unit), "登记", register_form())
    assert record_of(czj).receipt_number == f"收办〔{year}〕1号"
    assert record_of(rsj).receipt_number == f"收抄〔{year}〕1号"


def test_the_registrar_chooses_the_class_at_registration(city) -> None:
    czj = city.units["czj"]
    for title in ("关于秋季开学的通知", "关于校园安全的通知"):
        send(city, issue_to(city, ["czj"], title=f"江城市教育局{title}"))
    api.deliver_messages(worker_id="w1")
    year = date.fromisoformat(register_form()["received_date"]).year
    clerk = registrar(czj)
    numbers = []
    for record, cls in zip(reversed(exchange.inbox(czj.id)), ("收报", "收办"), strict=True):
        do(record.instance_id, clerk, "签收", {"sign_action": "签收"})
        do(record.instance_id, clerk, "登记", register_form(receipt_class=cls))
        db.session.refresh(record)
        numbers.append((record.receipt_class, record.receipt_number))
    assert numbers == [("收报", f"收报〔{year}〕1号"), ("收办", f"收办〔{year}〕1号")]


def test_a_bad_class_is_refused_at_registration(city) -> None:
    send(city, issue_to(city, ["czj"]))
    api.deliver_messages(worker_id="w1")
    record = record_of(city.units["czj"])
    exchange.mark_signed(record.id, registrar(city.units["czj"]).id)
    with pytest.raises(ValidationFailed) as refused:
        exchange.register(record.id, {"receipt_class": "收文"}, actor_id=1)
    assert refused.value.errors == {"receipt_class": "收文类别应为收报、收抄或收办"}
    db.session.rollback()
    assert record_of(city.units["czj"]).receipt_number is None


# ---------------------------------------------------------------- queries, 登记本, 统计


@pytest.fixture
def classified(desk):  # noqa: F811
    """The query desk plus three classified 收文 of 2025; the older ones have no class."""
    rows = [("handle2", "收办〔2025〕2号", "收办"), ("handle10", "收办〔2025〕10号", "收办"),
            ("report1", "收报〔2025〕1号", "收报")]  # fmt: skip
    for key, number, cls in rows:
        desk.records[key] = _incoming(
            desk.unit, desk.registrar, f"分类收文{key}", receipt_number=number,
            receipt_class=cls, received_date="2025-04-01", from_unit="市教育局",
            category="普发件", status="已签收",
        )  # fmt: skip
    db.session.commit()
    return desk


def _found(seen: Desk, **filters) -> list[str]:
    names = {r.id: k for k, r in seen.records.items()}
    page = iq.list_incoming(_whole(seen), iq.IncomingFilters(**filters), per_page=100)
    return sorted(names[r.id] for r in page.items)


def test_query_by_class_and_receipt_number(classified) -> None:
    assert _found(classified, receipt_class="收办") == ["handle10", "handle2"]
    assert _found(classified, receipt_class="收报") == ["report1"]
    assert _found(classified, receipt_class="收抄") == []
    assert _found(classified, receipt_number="收办〔2025〕1") == ["handle10"]
    assert _found(classified, serial=2) == ["handle2", "report"]  # both number shapes
    assert _found(classified, serial=1) == ["letter", "report1"]
    with pytest.raises(ValidationFailed) as refused:
        iq.list_incoming(_whole(classified), iq.IncomingFilters(receipt_class="收发"))
    assert refused.value.errors == {"receipt_class": "收文类别不正确"}


def test_register_per_class_in_number_order(classified) -> None:
    handled = iq.register_records(_whole(classified), 2025, receipt_class="收办")
    assert [r.receipt_number for r in handled] == ["收办〔2025〕2号", "收办〔2025〕10号"]
    every = [r.receipt_number for r in iq.register_records(_whole(classified), 2025)]
    assert every[:4] == ["2025-0001", "2025-0002", "2025-0003", "2025-0010"]
    assert every[4:] == ["收办〔2025〕2号", "收办〔2025〕10号", "收报〔2025〕1号"]
    lines = iq.register_table(handled).lines
    assert [line[-1] for line in lines] == ["收办", "收办"]
    assert iq.register_title("市财政局", 2025, receipt_class="收办") == "市财政局2025年收办登记本"


def test_statistics_by_class(classified) -> None:
    stats = iq.incoming_stats(_whole(classified), date(2025, 1, 1), date(2025, 12, 31))
    assert stats.by_class == [("收报", 1), ("收办", 2), ("—", 5)]


def test_pages_filter_print_and_count_by_class(client, classified) -> None:
    logged_in(client, "director")
    page = client.get("/shouwen/query?receipt_class=收办").get_data(as_text=True)
    assert "分类收文handle2" in page and "分类收文report1" not in page
    assert 'name="receipt_class"' in page and "关于审计整改的通知" not in page
    bad = client.get("/shouwen/query?receipt_class=收发")
    assert bad.status_code == 422 and "收文类别不正确" in bad.get_data(as_text=True)
    found = client.get("/shouwen/query.json?receipt_class=收报").get_json()
    assert [i["receipt_class"] for i in found["items"]] == ["收报"]
    response = client.get("/shouwen/register.xlsx?year=2025&receipt_class=收办")
    rows = list(openpyxl.load_workbook(io.BytesIO(response.data)).active.values)
    assert rows[0][0] == "市财政局2025年收办登记本"
    assert [r[1] for r in rows[2:]] == ["收办〔2025〕2号", "收办〔2025〕10号"]
    assert client.get("/shouwen/register.xlsx?receipt_class=x").status_code in (400, 422)
    stats = client.get("/shouwen/stats?from=2025-01-01&to=2025-12-31").get_data(as_text=True)
    assert "按收文类别" in stats and "收报" in stats
