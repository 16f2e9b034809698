"""Build the red-header templates: ``python -m services.documents.templates.build``.

The templates are generated, not hand-edited in Word, so page geometry, fonts, lines and footers
stay exactly as ``layout.py`` says. Each holds the styles, the section (A4, margins, even/odd
page-number footers) and docxtpl placeholders that the renderer fills with paragraph XML.
"""

from __future__ import annotations

from pathlib import Path

from docx import Document
from docx.document import Document as DocxDocument
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn

from services.documents import layout
from services.documents.layout import StyleSpec
from services.documents.model import FORMAT_LETTER, FORMATS

HERE = Path(__file__).resolve().parent
FILE_NAMES = {
    "通用": "general.docx",
    "上行文": "upward.docx",
    "信函": "letter.docx",
    "纪要": "minutes.docx",
}
W = nsdecls("w")


def template_path(fmt: str) -> Path:
    """Where the template of a GB/T 9704 format lives."""
    return HERE / FILE_NAMES[fmt]


def build_all() -> list[Path]:
    """Write every template next to this module and return their paths."""
    paths = []
    for fmt in FORMATS:
        path = template_path(fmt)
        build(fmt).save(str(path))
        paths.append(path)
    return paths


def build(fmt: str) -> DocxDocument:
    """A template document for ``fmt`` (one of model.FORMATS)."""
    doc = Document()
    _install_styles(doc)
    _set_page(doc, letter=fmt == FORMAT_LETTER)
    body = doc.element.body
    for paragraph in list(body.iterchildren(qn("w:p"))):
        body.remove(paragraph)
    placeholders = ["head", "main", "banji"]
    for name in placeholders:
        doc.add_paragraph("{{p " + name + "}}")
        if name == "head" and fmt != FORMAT_LETTER:
            doc.add_paragraph(style=doc.styles["OA-红色分隔线"])
    return doc


def _install_styles(doc: DocxDocument) -> None:
    """Document defaults (3号仿宋, exact 22-line pitch) plus one style per role."""
    styles = doc.styles.element
    defaults = styles.find(qn("w:docDefaults"))
    if defaults is not None:
        styles.remove(defaults)
    styles.insert(0, parse_xml(_defaults_xml()))
    for spec in layout.STYLES:
        styles.append(parse_xml(_style_xml(spec)))


def _defaults_xml() -> str:
    return (
        f"<w:docDefaults {W}><w:rPrDefault><w:rPr>"
        f'<w:rFonts w:ascii="Times New Roman" w:hAnsi="Times New Roman" '
        f'w:eastAsia="{layout.FANGSONG}" w:cs="Times New Roman"/>'
        '<w:color w:val="000000"/><w:spacing w:val="-5"/>'
        f'<w:sz w:val="{layout.SIZE_3}"/><w:szCs w:val="{layout.SIZE_3}"/>'
        '<w:lang w:val="en-US" w:eastAsia="zh-CN"/></w:rPr></w:rPrDefault>'
        "<w:pPrDefault><w:pPr>"
        f'<w:spacing w:before="0" w:after="0" w:line="{layout.LINE_PITCH}" w:lineRule="exact"/>'
        '<w:jc w:val="both"/></w:pPr></w:pPrDefault></w:docDefaults>'
    )


def _style_xml(spec: StyleSpec) -> str:
    kind = "character" if spec.character else "paragraph"
    ascii_font = spec.font if spec.font == layout.SONGTI else "Times New Roman"
    run = (
        f'<w:rPr><w:rFonts w:ascii="{ascii_font}" w:hAnsi="{ascii_font}" '
        f'w:eastAsia="{spec.font}"/>'
        + (f'<w:color w:val="{spec.color}"/>' if spec.color else "")
        + f'<w:sz w:val="{spec.size}"/><w:szCs w:val="{spec.size}"/></w:rPr>'
    )
    head = f'<w:style {W} w:type="{kind}" w:customStyle="1" w:styleId="{spec.style_id}">'
    head += f'<w:name w:val="{spec.name}"/><w:qFormat/>'
    if spec.character:
        return f"{head}{run}</w:style>"
    return f'{head}<w:basedOn w:val="Normal"/>{_paragraph_props(spec)}{run}</w:style>'


def _paragraph_props(spec: StyleSpec) -> str:
    line = (
        f'w:line="{layout.LINE_PITCH}" w:lineRule="exact"'
        if spec.exact_line
        else 'w:line="240" w:lineRule="auto"'
    )
    if spec.style_id == "OARedLine":
        line = 'w:line="120" w:lineRule="exact"'
    indent = f'<w:ind w:left="{spec.left}" w:right="{spec.right}" '
    indent += (
        f'w:hanging="{-spec.first_line}"/>'
        if spec.first_line < 0
        else f'w:firstLine="{spec.first_line}"/>'
    )
    return (
        "<w:pPr>"
        + (layout.border_xml(spec.borders) if spec.borders else "")
        + f'<w:spacing w:before="{spec.before}" w:after="0" {line}/>'
        + indent
        + f'<w:jc w:val="{spec.align}"/></w:pPr>'
    )


def _set_page(doc: DocxDocument, *, letter: bool) -> None:
    """A4 portrait, GB/T 9704 margins, line grid, and even/odd page-number footers."""
    section = doc.sections[0]
    sect = section._sectPr
    for tag in ("w:pgSz", "w:pgMar", "w:docGrid", "w:cols"):
        for old in sect.findall(qn(tag)):
            sect.remove(old)
    footer = layout.LETTER_FOOTER_DISTANCE if letter else layout.FOOTER_DISTANCE
    header = layout.LETTER_HEADER_DISTANCE if letter else 851
    sect.append(parse_xml(f'<w:pgSz {W} w:w="{layout.PAGE_WIDTH}" w:h="{layout.PAGE_HEIGHT}"/>'))
    sect.append(
        parse_xml(
            f'<w:pgMar {W} w:top="{layout.MARGIN_TOP}" w:right="{layout.MARGIN_RIGHT}" '
            f'w:bottom="{layout.MARGIN_BOTTOM}" w:left="{layout.MARGIN_LEFT}" '
            f'w:header="{header}" w:footer="{footer}" w:gutter="0"/>'
        )
    )
    sect.append(parse_xml(f'<w:docGrid {W} w:linePitch="{layout.LINE_PITCH}"/>'))
    doc.settings.odd_and_even_pages_header_footer = True
    _page_number(section.footer, odd=True)
    _page_number(section.even_page_footer, odd=False)
    if letter:
        section.different_first_page_header_footer = True
        _letter_first_page(section)


def _page_number(footer: object, *, odd: bool) -> None:
    """ "— 1 —" in 4号宋体, odd pages right and even pages left, one character in from the edge."""
    element = footer._element  # type: ignore[attr-defined]
    for paragraph in list(element):
        element.remove(paragraph)
    side = f'w:right="{layout.SMALL_CHAR}"' if odd else f'w:left="{layout.SMALL_CHAR}"'
    align = "right" if odd else "left"
    element.append(
        parse_xml(
            f'<w:p {W}><w:pPr><w:pStyle w:val="OAPageNumber"/><w:ind {side}/>'
            f'<w:jc w:val="{align}"/></w:pPr>'
            '<w:r><w:t xml:space="preserve">— </w:t></w:r>'
            '<w:fldSimple w:instr=" PAGE "><w:r><w:t>1</w:t></w:r></w:fldSimple>'
            '<w:r><w:t xml:space="preserve"> —</w:t></w:r></w:p>'
        )
    )


def _letter_first_page(section: object) -> None:
    """信函: the 标志 and a thick-over-thin double line in the first-page header, a
    thin-over-thick one in the first-page footer, and no page number on page 1."""
    overhang = f'w:left="-{layout.LETTER_LINE_OVERHANG}" w:right="-{layout.LETTER_LINE_OVERHANG}"'
    header = section.first_page_header._element  # type: ignore[attr-defined]
    footer = section.first_page_footer._element  # type: ignore[attr-defined]
    for element in (header, footer):
        for paragraph in list(element):
            element.remove(paragraph)
    header.append(parse_xml(f"<w:p {W}><w:r><w:t>{{{{p mark}}}}</w:t></w:r></w:p>"))
    header.append(
        parse_xml(
            f'<w:p {W}><w:pPr><w:pBdr><w:bottom w:val="thickThinSmallGap" w:sz="24" '
            f'w:space="1" w:color="{layout.RED}"/></w:pBdr>'
            f'<w:spacing w:line="120" w:lineRule="exact"/><w:ind {overhang}/></w:pPr></w:p>'
        )
    )
    footer.append(
        parse_xml(
            f'<w:p {W}><w:pPr><w:pBdr><w:top w:val="thinThickSmallGap" w:sz="24" '
            f'w:space="1" w:color="{layout.RED}"/></w:pBdr>'
            f'<w:spacing w:line="20" w:lineRule="exact"/><w:ind {overhang}/></w:pPr></w:p>'
        )
    )


if __name__ == "__main__":
    for built in build_all():
        print(built)
