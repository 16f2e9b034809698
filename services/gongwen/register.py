"""发文登记本: the numbered 发文 of a year (optionally of one 文种) in 文号 order, exported as an
Excel workbook and as a Word table with Chinese headers.

Only documents that have a 发文字号 are registered; the year is the year of the 成文日期 (the
drafting year until one is recorded), as in :mod:`services.gongwen.queries`.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

import docx
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm, Pt
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from services.db import db
from services.gongwen.models import GongwenDocument
from services.gongwen.queries import OutgoingFilters, Scope, check_filters, outgoing_select

HEADERS = ("序号", "文号", "标题", "主送", "密级", "份数", "签发人", "成文日期", "印发日期")
COLUMN_WIDTHS = (6, 24, 44, 30, 8, 8, 10, 12, 12)  # Excel character widths
# 机关代字〔年份〕序号号, with the brackets people actually type.
_NUMBER = re.compile(r"^(.*?)[〔\[［(（]\s*(\d{4})\s*[〕\]］)）]\s*(\d+)\s*号")


@dataclass(frozen=True)
class RegisterRow:
    """One line of the 登记本, already in printable text."""

    doc_number: str
    title: str
    recipients: str
    secrecy: str
    copies: str
    signer: str
    issued_date: str
    printed_date: str

    def cells(self, serial: int) -> list[str]:
        """The line's cells under :data:`HEADERS`."""
        return [
            str(serial),
            self.doc_number,
            self.title,
            self.recipients,
            self.secrecy,
            self.copies,
            self.signer,
            self.issued_date,
            self.printed_date,
        ]


def number_key(doc_number: str) -> tuple[str, int, int, str]:
    """Sort key putting 〔2025〕2号 before 〔2025〕10号 (plain text order would not)."""
    match = _NUMBER.match(doc_number.strip())
    if match is None:
        return (doc_number, 0, 0, doc_number)
    return (match.group(1).strip(), int(match.group(2)), int(match.group(3)), doc_number)


def register_rows(scope: Scope, year: int, doc_type: str | None = None) -> list[RegisterRow]:
    """The scope's numbered 发文 of ``year`` (and ``doc_type``), in 文号 order."""
    filters = OutgoingFilters(year=year, doc_type=doc_type or None, sort="doc_number")
    check_filters(filters)
    stmt = outgoing_select(scope, filters).where(GongwenDocument.doc_number.is_not(None))
    documents = sorted(db.session.scalars(stmt), key=lambda d: number_key(d.doc_number or ""))
    return [_row(d) for d in documents]


def _row(document: GongwenDocument) -> RegisterRow:
    return RegisterRow(
        doc_number=document.doc_number or "",
        title=document.title,
        recipients="、".join(r["name"] for r in document.main_recipients or []),
        secrecy=document.secrecy or "无",
        copies=str(document.copies) if document.copies else "",
        signer=document.signer.name if document.signer is not None else "",
        issued_date=_date(document.issued_date),
        printed_date=_date(document.printed_date),
    )


def _date(value: date | None) -> str:
    return value.isoformat() if value is not None else ""


def register_title(unit_name: str, year: int, doc_type: str | None = None) -> str:
    """``市财政局2025年发文登记本（通知）``."""
    suffix = f"（{doc_type}）" if doc_type else ""
    return f"{unit_name}{year}年发文登记本{suffix}"


@dataclass(frozen=True)
class Table:
    """One printable table: a sheet of a workbook, or the table of a Word document."""

    name: str
    headers: tuple[str, ...]
    lines: list[list[str]]
    widths: tuple[int, ...] = ()  # Excel character widths, one per header


def tables_xlsx(title: str, tables: list[Table]) -> bytes:
    """An .xlsx workbook with one sheet per table: a title line, the headers, the lines."""
    book = Workbook()
    for index, table in enumerate(tables):
        sheet = book.active if index == 0 else book.create_sheet()
        assert sheet is not None  # a new workbook always has its first sheet
        _fill_sheet(sheet, title, table)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _fill_sheet(sheet: Any, title: str, table: Table) -> None:
    sheet.title = table.name
    sheet.append([title])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(table.headers))
    sheet["A1"].font = Font(bold=True, size=14)
    sheet["A1"].alignment = Alignment(horizontal="center")
    sheet.append(list(table.headers))
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for line in table.lines:
        sheet.append(line)
    for index, width in enumerate(table.widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A3"


def table_docx(title: str, table: Table) -> bytes:
    """A landscape A4 .docx: the title, then the table with a bold header row."""
    document = docx.Document()
    section = document.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Cm(29.7), Cm(21.0)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Cm(1.8))
    _chinese_font(document)
    heading = document.add_paragraph()
    heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = heading.add_run(title)
    run.bold, run.font.size = True, Pt(16)
    grid = document.add_table(rows=1, cols=len(table.headers))
    grid.style = "Table Grid"
    for cell, text in zip(grid.rows[0].cells, table.headers, strict=True):
        cell.text = text
        cell.paragraphs[0].runs[0].bold = True
    for line in table.lines:
        for cell, text in zip(grid.add_row().cells, line, strict=True):
            cell.text = text
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _register_table(rows: list[RegisterRow]) -> Table:
    lines = [row.cells(serial) for serial, row in enumerate(rows, start=1)]
    return Table("发文登记本", HEADERS, lines, COLUMN_WIDTHS)


def register_xlsx(rows: list[RegisterRow], title: str) -> bytes:
    """The 登记本 as an .xlsx workbook: a title line, the headers, one row per document."""
    return tables_xlsx(title, [_register_table(rows)])


def register_docx(rows: list[RegisterRow], title: str) -> bytes:
    """The 登记本 as a landscape A4 .docx: the title, then one table with a header row."""
    return table_docx(title, _register_table(rows))


def _chinese_font(document: docx.document.Document) -> None:
    style = document.styles["Normal"]
    style.font.name = "宋体"
    style.font.size = Pt(10.5)
    fonts = style.element.rPr.rFonts
    fonts.set(qn("w:eastAsia"), "宋体")
