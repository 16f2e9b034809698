"""A read-only view of a .docx for the format checker: paragraphs with resolved run formatting,
page setup, footers and settings. Works on our generated documents and on Word/WPS files.

Formatting is resolved the way Word does it, most specific first: direct run properties, the
run's character style, the paragraph style and its ``basedOn`` chain, then the document defaults.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree
from lxml.etree import _Element as Element

from services.errors import ValidationFailed

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
NS = {"w": W_NS, "r": R_NS}


def w(tag: str) -> str:
    """Clark name of a WordprocessingML tag or attribute."""
    return f"{{{W_NS}}}{tag}"


@dataclass
class RunView:
    text: str
    font: str
    size: int  # half-points
    color: str


@dataclass
class ParagraphView:
    index: int
    text: str
    style_name: str
    runs: list[RunView]
    align: str
    line: int  # exact line spacing in twips, 0 when not exact
    element: Element = field(repr=False)
    red_border: bool = False
    role: str = ""

    def fonts(self) -> set[str]:
        """East Asian fonts of the runs that carry visible text."""
        return {r.font for r in self.runs if r.text.strip()}

    def sizes(self) -> set[int]:
        return {r.size for r in self.runs if r.text.strip()}

    def colors(self) -> set[str]:
        return {r.color.upper() for r in self.runs if r.text.strip()}


@dataclass
class FooterView:
    kind: str  # default (odd pages), even, first
    text: str
    has_page_field: bool
    align: str


@dataclass
class DocxView:
    paragraphs: list[ParagraphView]
    header_paragraphs: list[ParagraphView]
    page: dict[str, int]
    footers: list[FooterView]
    even_and_odd: bool
    title_page: bool

    @property
    def red_rules(self) -> int:
        """Paragraphs drawing a red line (the 分隔线, the 信函 double lines)."""
        return sum(p.red_border for p in self.paragraphs + self.header_paragraphs)


class _Styles:
    """Style lookups along the basedOn chain, with the document defaults at the end."""

    def __init__(self, root: Element | None) -> None:
        self.by_id: dict[str, Element] = {}
        self.defaults_rpr: Element | None = None
        self.defaults_ppr: Element | None = None
        if root is None:
            return
        for style in root.iter(w("style")):
            self.by_id[style.get(w("styleId"), "")] = style
        self.defaults_rpr = root.find("w:docDefaults/w:rPrDefault/w:rPr", NS)
        self.defaults_ppr = root.find("w:docDefaults/w:pPrDefault/w:pPr", NS)
        self.default_paragraph = next(
            (
                sid
                for sid, s in self.by_id.items()
                if s.get(w("type")) == "paragraph" and s.get(w("default")) in ("1", "true")
            ),
            "",
        )

    def name(self, style_id: str) -> str:
        style = self.by_id.get(style_id)
        node = style.find("w:name", NS) if style is not None else None
        return node.get(w("val"), "") if node is not None else ""

    def chain(self, style_id: str) -> list[Element]:
        chain, seen = [], set()
        while style_id and style_id in self.by_id and style_id not in seen:
            seen.add(style_id)
            style = self.by_id[style_id]
            chain.append(style)
            based = style.find("w:basedOn", NS)
            style_id = based.get(w("val"), "") if based is not None else ""
        return chain

    def lookup(self, style_id: str, path: str, attr: str, defaults: Element | None) -> str:
        for style in self.chain(style_id):
            node = style.find(path, NS)
            if node is not None and node.get(w(attr)) is not None:
                return node.get(w(attr), "")
        inner = path.split("/", 1)[1] if "/" in path else path
        node = defaults.find(inner, NS) if defaults is not None else None
        return node.get(w(attr), "") if node is not None and node.get(w(attr)) else ""


def load(source: str | Path | bytes) -> DocxView:
    """Parse a .docx given as a path or as bytes."""
    data = source if isinstance(source, bytes) else Path(source).read_bytes()
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            parts = {name: archive.read(name) for name in archive.namelist()}
    except zipfile.BadZipFile as exc:
        raise ValidationFailed("不是有效的 .docx 文件") from exc
    if "word/document.xml" not in parts:
        raise ValidationFailed("不是有效的 .docx 文件：缺少 word/document.xml")
    return _build(parts)


def _xml(parts: dict[str, bytes], name: str) -> Element | None:
    raw = parts.get(name)
    return etree.fromstring(raw) if raw else None


def _build(parts: dict[str, bytes]) -> DocxView:
    document = _xml(parts, "word/document.xml")
    assert document is not None
    styles = _Styles(_xml(parts, "word/styles.xml"))
    body = document.find("w:body", NS)
    sect = body.find("w:sectPr", NS) if body is not None else None
    if sect is None and body is not None:
        sect = next(body.iter(w("sectPr")), None)
    rels = _relationships(parts)
    headers, footers = [], []
    for ref in sect.findall("w:headerReference", NS) if sect is not None else []:
        root = _xml(parts, rels.get(ref.get(f"{{{R_NS}}}id", ""), ""))
        if root is not None:
            headers += _paragraphs(root, styles)
    for ref in sect.findall("w:footerReference", NS) if sect is not None else []:
        root = _xml(parts, rels.get(ref.get(f"{{{R_NS}}}id", ""), ""))
        if root is not None:
            footers.append(_footer(ref.get(w("type"), "default"), root, styles))
    settings = _xml(parts, "word/settings.xml")
    return DocxView(
        paragraphs=_paragraphs(document, styles),
        header_paragraphs=headers,
        page=_page(sect),
        footers=footers,
        even_and_odd=settings is not None and settings.find("w:evenAndOddHeaders", NS) is not None,
        title_page=sect is not None and sect.find("w:titlePg", NS) is not None,
    )


def _relationships(parts: dict[str, bytes]) -> dict[str, str]:
    root = _xml(parts, "word/_rels/document.xml.rels")
    if root is None:
        return {}
    return {rel.get("Id", ""): "word/" + rel.get("Target", "").lstrip("/") for rel in root}


def _page(sect: Element | None) -> dict[str, int]:
    page: dict[str, int] = {}
    if sect is None:
        return page
    for tag, attrs in (
        ("pgSz", ("w", "h", "orient")),
        ("pgMar", ("top", "bottom", "left", "right")),
    ):
        node = sect.find(f"w:{tag}", NS)
        for attr in attrs:
            value = node.get(w(attr)) if node is not None else None
            if value is not None and value.lstrip("-").isdigit():
                page[attr] = int(value)
    return page


def _red_border(para: Element, style_id: str, styles: _Styles) -> bool:
    borders = para.find("w:pPr/w:pBdr", NS)
    if borders is None:
        borders = next(
            (b for s in styles.chain(style_id) if (b := s.find("w:pPr/w:pBdr", NS)) is not None),
            None,
        )
    if borders is None:
        return False
    return any(_is_red(edge.get(w("color"), "")) for edge in borders)


def _is_red(color: str) -> bool:
    """Red as GB/T 9704 uses it: a strong red, tolerant of Word/WPS variants (C00000, E60012)."""
    color = color.upper()
    if len(color) != 6 or not all(c in "0123456789ABCDEF" for c in color):
        return False
    r, g, b = (int(color[i : i + 2], 16) for i in (0, 2, 4))
    return r >= 0xB0 and g <= 0x40 and b <= 0x40


def _paragraphs(root: Element, styles: _Styles) -> list[ParagraphView]:
    result = []
    for index, para in enumerate(root.iter(w("p"))):
        style_id = _style_of(para, styles)
        runs = [_run(run, style_id, styles) for run in para.iter(w("r"))]
        result.append(
            ParagraphView(
                index=index,
                text="".join(r.text for r in runs),
                style_name=styles.name(style_id),
                runs=runs,
                align=_paragraph_prop(para, style_id, styles, "w:jc", "val") or "left",
                line=_exact_line(para, style_id, styles),
                element=para,
                red_border=_red_border(para, style_id, styles),
            )
        )
    return result


def _style_of(para: Element, styles: _Styles) -> str:
    node = para.find("w:pPr/w:pStyle", NS)
    return node.get(w("val"), "") if node is not None else styles.default_paragraph


def _paragraph_prop(para: Element, style_id: str, styles: _Styles, tag: str, attr: str) -> str:
    node = para.find(f"w:pPr/{tag}", NS)
    if node is not None and node.get(w(attr)) is not None:
        return node.get(w(attr), "")
    return styles.lookup(style_id, f"w:pPr/{tag}", attr, styles.defaults_ppr)


def _exact_line(para: Element, style_id: str, styles: _Styles) -> int:
    rule = _paragraph_prop(para, style_id, styles, "w:spacing", "lineRule")
    line = _paragraph_prop(para, style_id, styles, "w:spacing", "line")
    return int(line) if rule == "exact" and line.isdigit() else 0


def _run(run: Element, style_id: str, styles: _Styles) -> RunView:
    text = "".join(_run_text(child) for child in run)
    char_style = run.find("w:rPr/w:rStyle", NS)
    char_id = char_style.get(w("val"), "") if char_style is not None else ""

    def prop(tag: str, attr: str) -> str:
        node = run.find(f"w:rPr/{tag}", NS)
        if node is not None and node.get(w(attr)):
            return node.get(w(attr), "")
        for sid in (char_id, style_id):
            value = styles.lookup(sid, f"w:rPr/{tag}", attr, None) if sid else ""
            if value:
                return value
        return styles.lookup("", f"w:rPr/{tag}", attr, styles.defaults_rpr)

    size = prop("w:sz", "val")
    return RunView(
        text=text,
        font=prop("w:rFonts", "eastAsia"),
        size=int(size) if size.isdigit() else 20,
        color=prop("w:color", "val") or "000000",
    )


_TEXT_OF: dict[str, Callable[[Element], str]] = {
    w("t"): lambda e: e.text or "",
    w("tab"): lambda e: "\t",
    w("br"): lambda e: "\n",
    w("instrText"): lambda e: "",
}


def _run_text(child: Element) -> str:
    getter = _TEXT_OF.get(child.tag)
    return getter(child) if getter else ""


def _footer(kind: str, root: Element, styles: _Styles) -> FooterView:
    paragraphs = _paragraphs(root, styles)
    text = "".join(p.text for p in paragraphs)
    instructions = [n.get(w("instr"), "") for n in root.iter(w("fldSimple"))]
    instructions += [n.text or "" for n in root.iter(w("instrText"))]
    visible = [p for p in paragraphs if p.text.strip()]
    return FooterView(
        kind=kind,
        text=text,
        has_page_field=any("PAGE" in i.upper() for i in instructions),
        align=visible[0].align if visible else "",
    )
