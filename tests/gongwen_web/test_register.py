"""发文登记本 exports: .xlsx and .docx per year and 文种, rows in 文号 order, scope applied."""

from __future__ import annotations

import io

import docx
import openpyxl
import pytest

from services.db import db
from services.gongwen.register import HEADERS, number_key
from tests.gongwen_web.conftest import Org, make_doc
from tests.workbench.helpers import logged_in


@pytest.fixture
def numbered(org: Org) -> None:
    """Four numbered 发文 of 2025 (out of order), one of 2024 and one unnumbered draft."""
    for seq, doc_type, issued in ((10, "通知", "2025-06-01"), (2, "通知", "2025-02-01"),
                                  (3, "函", "2025-03-01"), (1, "通知", "2025-01-10"),
                                  (9, "通知", "2024-11-01")):  # fmt: skip
        make_doc(
            org,
            f"第{seq}号{doc_type}",
            doc_type=doc_type,
            status="registered",
            signer_id=org.director.id,
            doc_number=f"市财发〔{issued[:4]}〕{seq}号",
            issued_date=issued,
            printed_date=issued,
            copies=30,
            main_recipients=["各区财政局", "市直各单位"],
            secrecy="秘密" if seq == 3 else "",
        )
    make_doc(org, "未编号的草稿")
    db.session.commit()


def test_number_key_orders_by_sequence():
    numbers = ["市财发〔2025〕10号", "市财发〔2025〕2号", "市财函[2025]1号", "其他"]
    assert sorted(numbers, key=number_key) == [
        "其他",
        "市财函[2025]1号",
        "市财发〔2025〕2号",
        "市财发〔2025〕10号",
    ]


def test_xlsx_register_in_number_order(client, org, numbered):
    logged_in(client, "director")
    response = client.get("/gongwen/outgoing/register.xlsx?year=2025")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "市财政局2025年发文登记本"
    assert rows[1] == HEADERS
    assert [r[1] for r in rows[2:]] == [
        "市财发〔2025〕1号",
        "市财发〔2025〕2号",
        "市财发〔2025〕3号",
        "市财发〔2025〕10号",
    ]
    first = rows[2]
    assert first == ("1", "市财发〔2025〕1号", "第1号通知", "各区财政局、市直各单位", "无",
                     "30", "钱主任", "2025-01-10", "2025-01-10")  # fmt: skip
    assert rows[4][4] == "秘密"


def test_docx_register_per_doc_type(client, org, numbered):
    logged_in(client, "director")
    response = client.get("/gongwen/outgoing/register.docx?year=2025&doc_type=通知")
    assert response.status_code == 200
    document = docx.Document(io.BytesIO(response.data))
    assert document.paragraphs[0].text == "市财政局2025年发文登记本（通知）"
    table = document.tables[0]
    assert tuple(c.text for c in table.rows[0].cells) == HEADERS
    assert [row.cells[1].text for row in table.rows[1:]] == [
        "市财发〔2025〕1号",
        "市财发〔2025〕2号",
        "市财发〔2025〕10号",
    ]


def test_register_follows_data_scope(client, org, numbered):
    logged_in(client, "outsider")  # another unit's leader: their own (empty) register
    response = client.get("/gongwen/outgoing/register.xlsx?year=2025")
    rows = list(
        openpyxl.load_workbook(io.BytesIO(response.data)).active.iter_rows(values_only=True)
    )
    assert rows[0][0] == "市交通局2025年发文登记本" and len(rows) == 2


def test_register_rejects_bad_year_in_chinese(client, org):
    logged_in(client, "director")
    response = client.get("/gongwen/outgoing/register.docx?year=20x5")
    assert response.status_code == 422
    assert "年度应为四位数字" in response.get_data(as_text=True)
