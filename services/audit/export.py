"""Spreadsheets of audit records: rows in, CSV or .xlsx bytes out (no database, no Flask).

Both formats get Chinese headers and Beijing times. The .xlsx is written in openpyxl's
write-only mode (rows are not kept in memory as cell objects), with the header row frozen,
bold and column widths set. Cell text is defused: a value starting with ``=`` ``+`` ``-`` ``@``
would run as a formula when an auditor opens the file (CSV injection), so CSV cells get a
leading apostrophe and .xlsx cells are written as text, never as formulas.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

# Records are stored in UTC; auditors read Beijing time (no daylight saving, a fixed offset).
BEIJING = timezone(timedelta(hours=8), "Asia/Shanghai")
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
XLSX_TIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MIMETYPE = "text/csv"
# Excel refuses longer cell texts.
MAX_CELL_CHARS = 32_767
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Column:
    """One exported column: its Chinese header and width in characters (.xlsx only)."""

    header: str
    width: int = 12


def beijing(value: datetime) -> datetime:
    """A stored instant as naive Beijing wall-clock time (naive datetimes are taken as UTC)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)  # noqa: UP017
    return value.astimezone(BEIJING).replace(tzinfo=None)


def _text(value: Any) -> str:
    """The cell text of a value that is not a number or a time."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def to_csv(columns: Sequence[Column], rows: Iterable[Sequence[Any]]) -> bytes:
    """UTF-8 CSV with a byte-order mark, so Excel opens the Chinese text correctly."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    writer.writerow([c.header for c in columns])
    for row in rows:
        writer.writerow([_csv_cell(value) for value in row])
    return buffer.getvalue().encode("utf-8")


def _csv_cell(value: Any) -> str | int | float:
    if isinstance(value, datetime):
        return beijing(value).strftime(TIME_FORMAT)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    text = _text(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def to_xlsx(columns: Sequence[Column], rows: Iterable[Sequence[Any]], *, sheet_title: str) -> bytes:
    """An .xlsx workbook of one sheet: frozen bold header, set widths, times as real dates."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=_sheet_title(sheet_title))
    # Both must be set before the first row is written in write-only mode.
    sheet.freeze_panes = "A2"
    for index, column in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    sheet.append([_header_cell(sheet, c.header) for c in columns])
    for row in rows:
        sheet.append([_xlsx_cell(sheet, value) for value in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="DDE5F0")
_HEADER_ALIGN = Alignment(horizontal="center", vertical="center")


def _header_cell(sheet: Any, header: str) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=header)
    cell.font, cell.fill, cell.alignment = _HEADER_FONT, _HEADER_FILL, _HEADER_ALIGN
    return cell


def _xlsx_cell(sheet: Any, value: Any) -> WriteOnlyCell | int | float | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        cell = WriteOnlyCell(sheet, value=beijing(value))
        cell.number_format = XLSX_TIME_FORMAT
        return cell
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    text = ILLEGAL_CHARACTERS_RE.sub("", _text(value))[:MAX_CELL_CHARS]
    cell = WriteOnlyCell(sheet, value=text)
    cell.data_type = "s"  # openpyxl would store "=..." as a formula: keep it text
    return cell


def _sheet_title(title: str) -> str:
    """Excel sheet names: at most 31 characters, none of []:*?/\\."""
    cleaned = "".join(ch for ch in title if ch not in "[]:*?/\\").strip()
    return (cleaned or "导出")[:31]
