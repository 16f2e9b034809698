"""发文稿纸: the processing sheet of a 公文, as .docx (python-docx) and PDF (warm LibreOffice).

The sheet is one table like the printed form: the opinion boxes (签发, 会签, 核稿, 审核) on top,
then the elements of the document (拟稿, 密级, 紧急程度, 文号, 份数, 标题, 主送, 抄送, 附件).
It can be printed at any step (:func:`render_docx`, :func:`render_pdf`); :func:`store_sheet`
keeps the current one as the document's ``sheet_docx`` / ``sheet_pdf`` files, and the last one
stored is the one filed with the document (services/archive).

Opinions come from the task forms: ``web/forms/parse.py`` stores each 意见 as a dict
``{text, user_id, user_name, position, unit, time, signature}``; :func:`opinions_from_entries`
turns a list of those, for one step, into :class:`SheetOpinion` values.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_ROW_HEIGHT_RULE, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.image.exceptions import UnrecognizedImageError
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor
from docx.table import _Cell
from docx.text.paragraph import Paragraph
from sqlalchemy import delete

from services import clock
from services.convert.libreoffice import convert_to_pdf
from services.db import db
from services.documents.layout import FANGSONG, HEITI, KAITI, XIAOBIAOSONG
from services.errors import ValidationFailed
from services.gongwen.documents import beijing_time, get_document
from services.gongwen.models import URGENCY_LABELS, DocumentFile, GongwenDocument

# Steps whose opinions the sheet prints, top to bottom, with the label of their box.
OPINION_STEPS = {"sign": "签发", "countersign": "会签", "review": "核稿", "dept_review": "审核"}
# 拟稿 remarks (拟稿说明) are printed in their own row below the document's elements.
DRAFT_STEP = "draft"
STEPS = {**OPINION_STEPS, DRAFT_STEP: "拟稿说明"}
SHEET_NAMES = {"out": "发文稿纸", "internal": "签报稿纸", "in": "收文处理单"}
SHEET_KINDS = ("sheet_docx", "sheet_pdf")
LABEL_WIDTH, VALUE_WIDTH = Cm(2.4), Cm(5.6)
COLUMN_WIDTHS = (LABEL_WIDTH, VALUE_WIDTH, LABEL_WIDTH, VALUE_WIDTH)  # 16 cm: the type area
OPINION_ROW_HEIGHT = Cm(3.2)
SIGNATURE_HEIGHT = Cm(1.0)
BLACK = RGBColor(0, 0, 0)


@dataclass(frozen=True)
class SheetOpinion:
    """One signed opinion printed on the sheet.

    ``step`` is a key of :data:`STEPS` (``sign`` 签发, ``countersign`` 会签, ``review`` 核稿,
    ``dept_review`` 审核, ``draft`` 拟稿说明). ``name``, ``position`` and ``unit`` are copied when
    the opinion was given, so later renames do not rewrite the sheet. ``at`` is an aware time
    (printed in Beijing time); ``signature_png`` is the handwritten-signature image, if any.
    """

    step: str
    text: str
    name: str
    position: str = ""
    unit: str = ""
    at: datetime | None = None
    signature_png: bytes | None = None


SignatureLoader = Callable[[str], bytes | None]


def opinions_from_entries(
    step: str,
    entries: Iterable[dict[str, Any]],
    load_signature: SignatureLoader | None = None,
) -> list[SheetOpinion]:
    """Sheet opinions of ``step`` from opinion-field entries as ``web/forms/parse.py`` stores
    them; ``load_signature`` turns an entry's ``signature`` reference into PNG bytes."""
    _check_step(step)
    opinions = []
    for entry in entries:
        ref = entry.get("signature")
        image = load_signature(ref) if ref and load_signature is not None else None
        opinions.append(
            SheetOpinion(
                step=step,
                text=str(entry.get("text") or ""),
                name=str(entry.get("user_name") or ""),
                position=str(entry.get("position") or ""),
                unit=str(entry.get("unit") or ""),
                at=_parse_time(entry.get("time")),
                signature_png=image,
            )
        )
    return opinions


def render_docx(document: GongwenDocument, opinions: Iterable[SheetOpinion]) -> bytes:
    """The sheet of ``document`` with ``opinions`` as .docx bytes."""
    by_step = _group(opinions)
    doc = _new_document()
    _heading(doc, f"{document.unit.name}{SHEET_NAMES.get(document.direction, '发文稿纸')}")
    table = doc.add_table(rows=0, cols=4)
    table.style = doc.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    for column, width in zip(table.columns, COLUMN_WIDTHS, strict=True):
        column.width = width
    for step, label in OPINION_STEPS.items():
        cell = _wide_row(table, label, height=OPINION_ROW_HEIGHT)
        _opinions(cell, by_step.get(step, []))
    for row in _element_rows(document):
        if len(row) == 2:
            _text(_wide_row(table, row[0]), row[1])
        else:
            _pair_row(table, *row)
    if by_step.get(DRAFT_STEP):
        _opinions(_wide_row(table, STEPS[DRAFT_STEP]), by_step[DRAFT_STEP])
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def render_pdf(document: GongwenDocument, opinions: Iterable[SheetOpinion]) -> bytes:
    """The sheet as PDF, converted by the shared warm LibreOffice pool."""
    return convert_to_pdf(render_docx(document, opinions))


def store_sheet(
    document_id: int, opinions: Iterable[SheetOpinion], *, actor_id: int | None
) -> tuple[DocumentFile, DocumentFile]:
    """Render the sheet and keep it as the document's ``sheet_docx`` and ``sheet_pdf`` files,
    replacing the sheet stored before (the last one stored is the one archived)."""
    document = get_document(document_id)
    docx_bytes = render_docx(document, list(opinions))
    pdf_bytes = convert_to_pdf(docx_bytes)
    db.session.execute(
        delete(DocumentFile).where(
            DocumentFile.document_id == document_id, DocumentFile.kind.in_(SHEET_KINDS)
        )
    )
    name = SHEET_NAMES.get(document.direction, "发文稿纸")
    files = (
        _file(document_id, "sheet_docx", f"{name}.docx", docx_bytes, actor_id),
        _file(document_id, "sheet_pdf", f"{name}.pdf", pdf_bytes, actor_id),
    )
    db.session.add_all(files)
    db.session.flush()
    return files


def _file(
    document_id: int, kind: str, name: str, content: bytes, actor: int | None
) -> DocumentFile:
    return DocumentFile(
        document_id=document_id,
        kind=kind,
        filename=name,
        content=content,
        sha256=hashlib.sha256(content).hexdigest(),
        size=len(content),
        created_at=clock.now(),
        created_by_id=actor,
    )


def _check_step(step: str) -> None:
    if step not in STEPS:
        known = "、".join(f"{key}（{label}）" for key, label in STEPS.items())
        raise ValidationFailed(f"稿纸中没有“{step}”这一栏，可用的有：{known}")


def _group(opinions: Iterable[SheetOpinion]) -> dict[str, list[SheetOpinion]]:
    grouped: dict[str, list[SheetOpinion]] = {}
    for opinion in opinions:
        _check_step(opinion.step)
        grouped.setdefault(opinion.step, []).append(opinion)
    return grouped


def _parse_time(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str) and value:
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return None
    return None


def _element_rows(document: GongwenDocument) -> list[tuple[str, ...]]:
    """The document's elements: 4-tuples are two label/value pairs, 2-tuples span the row."""
    department = document.drafting_department
    drafting_unit = department.name if department is not None else document.unit.short_name
    secrecy = document.secrecy or "非密"
    if document.secrecy and document.secrecy_term:
        secrecy += f"★{document.secrecy_term}"
    return [
        ("拟稿单位", drafting_unit, "拟稿人", document.drafter.name),
        ("拟稿日期", _date(document.created_at), "签发日期", _date(document.signed_at)),
        ("密级", secrecy, "紧急程度", URGENCY_LABELS.get(document.urgency) or "平件"),
        ("文号", document.doc_number or "", "份数", str(document.copies or "")),
        ("标题", document.title),
        ("主送", _names(document.main_recipients)),
        ("抄送", _names(document.copy_recipients)),
        ("附件", "\n".join(document.attachments_note or [])),
    ]


def _names(recipients: list[dict[str, Any]] | None) -> str:
    return "、".join(str(r.get("name", "")) for r in recipients or [])


def _date(value: datetime | None) -> str:
    if value is None:
        return ""
    local = beijing_time(value)
    return f"{local.year}年{local.month}月{local.day}日"


def _moment(value: datetime | None) -> str:
    if value is None:
        return ""
    local = beijing_time(value)
    return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"


def _new_document() -> DocxDocument:
    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.top_margin = section.bottom_margin = Cm(2.2)
    section.left_margin = section.right_margin = Cm(2.5)
    normal = doc.styles["Normal"]
    normal.font.size = Pt(14)
    _set_fonts(normal.element.get_or_add_rPr(), FANGSONG)
    return doc


def _set_fonts(rpr: Any, east_asian: str) -> None:
    """Latin text in Times New Roman, Chinese in ``east_asian`` (the w:eastAsia slot)."""
    fonts = rpr.get_or_add_rFonts()
    for slot in ("w:ascii", "w:hAnsi", "w:cs"):
        fonts.set(qn(slot), "Times New Roman")
    fonts.set(qn("w:eastAsia"), east_asian)


def _run(paragraph: Paragraph, text: str, font: str, size: float, *, bold: bool = False) -> None:
    run = paragraph.add_run(text)
    run.font.size = Pt(size)
    run.font.bold = bold
    run.font.color.rgb = BLACK
    _set_fonts(run._r.get_or_add_rPr(), font)


def _heading(doc: DocxDocument, text: str) -> None:
    paragraph = doc.paragraphs[0] if doc.paragraphs else doc.add_paragraph()
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    paragraph.paragraph_format.space_after = Pt(12)
    _run(paragraph, text, XIAOBIAOSONG, 22)


def _label(cell: _Cell, text: str) -> None:
    cell.width = LABEL_WIDTH
    cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
    paragraph = cell.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _run(paragraph, text, HEITI, 12)


def _text(cell: _Cell, text: str) -> None:
    lines = text.split("\n") if text else [""]
    for index, line in enumerate(lines):
        paragraph = cell.paragraphs[0] if index == 0 else cell.add_paragraph()
        _run(paragraph, line, FANGSONG, 14)


def _wide_row(table: Any, label: str, *, height: Any = None) -> _Cell:
    """A row with ``label`` and one value cell spanning the other three columns."""
    row = table.add_row()
    if height is not None:
        row.height, row.height_rule = height, WD_ROW_HEIGHT_RULE.AT_LEAST
    cells = row.cells
    _label(cells[0], label)
    for cell in cells[1:]:
        cell.width = VALUE_WIDTH
    return cells[1].merge(cells[3])


def _pair_row(table: Any, label1: str, value1: str, label2: str, value2: str) -> None:
    cells = table.add_row().cells
    _label(cells[0], label1)
    _label(cells[2], label2)
    for cell, value in ((cells[1], value1), (cells[3], value2)):
        cell.width = VALUE_WIDTH
        _text(cell, value)


def _opinions(cell: _Cell, opinions: list[SheetOpinion]) -> None:
    """Each opinion: its text (楷体, like handwriting), the signature image, name and time."""
    first = True
    for opinion in opinions:
        text = cell.paragraphs[0] if first else cell.add_paragraph()
        first = False
        _run(text, opinion.text, KAITI, 14)
        if opinion.signature_png:
            _signature(_right(cell), opinion.signature_png)
        signer = _signer(opinion)
        if signer:
            _run(_right(cell), signer, FANGSONG, 12)


def _right(cell: _Cell) -> Paragraph:
    paragraph = cell.add_paragraph()
    paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    return paragraph


def _signature(paragraph: Paragraph, image: bytes) -> None:
    try:
        paragraph.add_run().add_picture(io.BytesIO(image), height=SIGNATURE_HEIGHT)
    except UnrecognizedImageError as exc:
        raise ValidationFailed("手写签名图片无法识别，请上传 PNG 图片") from exc


def _signer(opinion: SheetOpinion) -> str:
    who = opinion.name
    details = "，".join(part for part in (opinion.unit, opinion.position) if part)
    if details:
        who += f"（{details}）"
    return f"{who}　{_moment(opinion.at)}".strip("　")
