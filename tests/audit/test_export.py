"""Spreadsheets of audit records (services.audit.export): CSV, .xlsx, Beijing times, no formulas."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
from openpyxl import load_workbook

from services.audit.export import MAX_CELL_CHARS, Column, beijing, to_csv, to_xlsx

COLUMNS = (Column("时间", 20), Column("用户", 10), Column("详情", 40), Column("数量"))
AT = datetime(2025, 3, 3, 16, 30, tzinfo=UTC)  # 2025-03-04 00:30 in Beijing
ROWS = [
    [AT, "张三", {"意见": "同意"}, 3],
    [AT.replace(tzinfo=None), "=1+2", True, None],
]


def read_csv(body: bytes) -> list[list[str]]:
    text = body.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def test_beijing_is_utc_plus_8_for_aware_and_naive_times() -> None:
    assert beijing(AT) == datetime(2025, 3, 4, 0, 30)
    assert beijing(AT.replace(tzinfo=None)) == datetime(2025, 3, 4, 0, 30)


def test_csv() -> None:
    header, first, second = read_csv(to_csv(COLUMNS, ROWS))
    assert header == ["时间", "用户", "详情", "数量"]
    assert first == ["2025-03-04 00:30:00", "张三", '{"意见": "同意"}', "3"]
    assert second == ["2025-03-04 00:30:00", "'=1+2", "是", ""]


@pytest.mark.parametrize("text", ["=cmd|' /C calc'!A0", "+1", "-2", "@SUM(A1)", "\tx"])
def test_csv_defuses_formula_starts(text: str) -> None:
    (_, row) = read_csv(to_csv(COLUMNS[:1], [[text]]))
    assert row == ["'" + text]


def test_xlsx_cells_header_and_layout() -> None:
    body = to_xlsx(COLUMNS, ROWS, sheet_title="流程审计")
    workbook = load_workbook(io.BytesIO(body))
    (sheet,) = workbook.worksheets
    assert sheet.title == "流程审计" and sheet.freeze_panes == "A2"
    assert [c.value for c in sheet[1]] == ["时间", "用户", "详情", "数量"]
    assert all(c.font.bold for c in sheet[1])
    assert (sheet.column_dimensions["A"].width, sheet.column_dimensions["C"].width) == (20, 40)
    first, second = sheet[2], sheet[3]
    assert (
        first[0].value == datetime(2025, 3, 4, 0, 30)
        and first[0].number_format == "yyyy-mm-dd hh:mm:ss"
    )
    assert [c.value for c in first[1:]] == ["张三", '{"意见": "同意"}', 3]
    assert (second[1].value, second[1].data_type) == ("=1+2", "s")  # text, not a formula
    assert (second[2].value, second[3].value) == ("是", None)


def test_xlsx_cleans_what_excel_refuses() -> None:
    body = to_xlsx(
        COLUMNS[:1], [["a\x00b\x1fc"], ["长" * (MAX_CELL_CHARS + 10)]], sheet_title="a/b:c*?[]"
    )
    (sheet,) = load_workbook(io.BytesIO(body)).worksheets
    assert sheet.title == "abc"
    assert sheet["A2"].value == "abc"
    assert len(sheet["A3"].value) == MAX_CELL_CHARS


def test_xlsx_of_no_rows_has_the_header_only() -> None:
    (sheet,) = load_workbook(io.BytesIO(to_xlsx(COLUMNS, [], sheet_title=""))).worksheets
    assert sheet.title == "导出" and sheet.max_row == 1
