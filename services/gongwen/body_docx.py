"""Writing the 正文 as an editable .docx: GB/T 9704 page and body styles, numbered headings.

Used to download a browser-written version for editing in Word/WPS, and as the canvas of the
花脸稿 (:mod:`services.gongwen.compare`). Fonts are set on ``w:eastAsia`` as well as ASCII, since
Word picks the East Asian font for Chinese characters. The styles are the generator's
(``OA-正文``, ``OA-一级标题`` ...) with Word outline levels, so a re-uploaded file keeps its levels
and Word's navigation pane shows the headings.
"""

from __future__ import annotations

import io
from xml.sax.saxutils import quoteattr

import docx
import docx.document
from docx.shared import Twips
from lxml import etree
from lxml.etree import _Element as Element

from services.documents import layout
from services.documents.model import MAX_HEADING_LEVEL
from services.documents.redhead import heading_prefix
from services.gongwen import body

W_NS = body.W_NS
BODY_STYLE_IDS = layout.HEADING_STYLES  # OABody, OAHeading1 .. OAHeading4
TABLE_STYLE = "TableGrid"


def w(tag: str) -> str:
    """Clark name of a WordprocessingML tag or attribute."""
    return f"{{{W_NS}}}{tag}"


def new_document() -> docx.document.Document:
    """An empty A4 document with the GB/T 9704 margins and the 正文 styles."""
    document = docx.Document()
    section = document.sections[0]
    section.page_width, section.page_height = Twips(layout.PAGE_WIDTH), Twips(layout.PAGE_HEIGHT)
    section.top_margin, section.bottom_margin = (
        Twips(layout.MARGIN_TOP),
        Twips(layout.MARGIN_BOTTOM),
    )
    section.left_margin, section.right_margin = (
        Twips(layout.MARGIN_LEFT),
        Twips(layout.MARGIN_RIGHT),
    )
    styles = document.styles.element
    _set_default_font(styles)
    specs = {spec.style_id: spec for spec in layout.STYLES}
    for level, style_id in enumerate(BODY_STYLE_IDS):
        styles.append(_style_element(specs[style_id], level))
    return document


def _set_default_font(styles: Element) -> None:
    """Document defaults: 仿宋_GB2312 三号 for every script, so tables and lists match."""
    rpr = styles.find(f"{w('docDefaults')}/{w('rPrDefault')}/{w('rPr')}")
    if rpr is None:
        return
    for old in rpr.findall(w("rFonts")) + rpr.findall(w("sz")) + rpr.findall(w("szCs")):
        rpr.remove(old)
    rpr.insert(0, _fonts(layout.FANGSONG))
    for index, tag in enumerate(("sz", "szCs"), start=1):
        size = etree.Element(w(tag))
        size.set(w("val"), str(layout.SIZE_3))
        rpr.insert(index, size)  # before w:lang: rPr children have a fixed order
    lang = rpr.find(w("lang"))
    if lang is not None:
        lang.set(w("eastAsia"), "zh-CN")
    spacing = styles.find(f"{w('docDefaults')}/{w('pPrDefault')}/{w('pPr')}/{w('spacing')}")
    if spacing is not None:  # single spacing, no gap after paragraphs (tables, lists)
        spacing.set(w("after"), "0")
        spacing.set(w("line"), "240")


def _fonts(font: str) -> Element:
    node = etree.Element(w("rFonts"))
    for attr in ("ascii", "hAnsi", "eastAsia", "cs"):
        node.set(w(attr), font)
    return node


def _style_element(spec: layout.StyleSpec, level: int) -> Element:
    outline = f'<w:outlineLvl w:val="{level - 1}"/>' if level else ""
    xml = (
        f'<w:style xmlns:w="{W_NS}" w:type="paragraph" w:customStyle="1"'
        f' w:styleId="{spec.style_id}">'
        f"<w:name w:val={quoteattr(spec.name)}/>"
        '<w:basedOn w:val="Normal"/><w:next w:val="OABody"/><w:qFormat/>'
        "<w:pPr>"
        f'<w:spacing w:before="0" w:after="0" w:line="{layout.LINE_PITCH}" w:lineRule="exact"/>'
        f'<w:ind w:firstLine="{spec.first_line}"/><w:jc w:val="{spec.align}"/>{outline}'
        "</w:pPr>"
        f'<w:rPr><w:rFonts w:ascii="{spec.font}" w:hAnsi="{spec.font}"'
        f' w:eastAsia="{spec.font}" w:cs="{spec.font}"/>'
        f'<w:sz w:val="{spec.size}"/><w:szCs w:val="{spec.size}"/></w:rPr>'
        "</w:style>"
    )
    return etree.fromstring(xml)


def add_paragraph(document: docx.document.Document, level: int = 0) -> Element:
    """Append an empty ``w:p`` with the style of heading ``level`` (0 = body text)."""
    para = etree.Element(w("p"))
    ppr = etree.SubElement(para, w("pPr"))
    etree.SubElement(ppr, w("pStyle")).set(w("val"), BODY_STYLE_IDS[level])
    _append_block(document, para)
    return para


def _append_block(document: docx.document.Document, element: Element) -> None:
    body_element = document.element.body
    sect = body_element.find(w("sectPr"))
    if sect is not None:
        sect.addprevious(element)
    else:
        body_element.append(element)


def make_run(
    text: str,
    *,
    bold: bool = False,
    italic: bool = False,
    underline: bool = False,
    deleted: bool = False,
) -> Element:
    """A ``w:r`` holding ``text`` (as ``w:delText`` when it sits inside a ``w:del``)."""
    run = etree.Element(w("r"))
    if bold or italic or underline:
        rpr = etree.SubElement(run, w("rPr"))
        if bold:
            etree.SubElement(rpr, w("b"))
        if italic:
            etree.SubElement(rpr, w("i"))
        if underline:
            etree.SubElement(rpr, w("u")).set(w("val"), "single")
    node = etree.SubElement(run, w("delText" if deleted else "t"))
    node.text = text
    node.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
    return run


def add_table(document: docx.document.Document, rows: list[list[str]]) -> None:
    """Append a bordered table of plain cell texts."""
    width = max(len(row) for row in rows)
    table = document.add_table(rows=len(rows), cols=width)
    table.style = document.styles["Table Grid"]
    for row, cells in zip(table.rows, rows, strict=True):
        for cell, text in zip(row.cells, cells, strict=False):
            cell.text = text
    _append_block(document, table._tbl)


def to_bytes(document: docx.document.Document) -> bytes:
    """The saved .docx."""
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


class Numbering:
    """Heading numbers as the generator prints them (一、（一）1.（1）), lower levels reset."""

    def __init__(self) -> None:
        self.counters = [0] * (MAX_HEADING_LEVEL + 1)

    def next(self, level: int) -> str:
        """The number of the next heading of ``level`` ("" for body text)."""
        if not level:
            return ""
        self.counters[level] += 1
        self.counters[level + 1 :] = [0] * (MAX_HEADING_LEVEL - level)
        return heading_prefix(level, self.counters[level])


def html_to_docx(clean_html: str) -> bytes:
    """An editable .docx of sanitised 正文 HTML, headings numbered and styled."""
    document = new_document()
    numbering, previous = Numbering(), 0
    for block in body.html_blocks(clean_html):
        if block.rows:
            add_table(document, block.rows)
            continue
        level = block.level if block.level <= previous + 1 else 0
        previous = level or previous
        para = add_paragraph(document, level)
        runs = list(block.runs)
        if level:
            runs[0].text = body.strip_numbering(runs[0].text, level)
            para.append(make_run(numbering.next(level)))
        for run in runs:
            if run.text:
                para.append(
                    make_run(run.text, bold=run.bold, italic=run.italic, underline=run.underline)
                )
    return to_bytes(document)
