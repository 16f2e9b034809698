"""Reading the 正文: sanitising browser HTML, checking uploaded .docx files, and turning either
into the generator's :class:`BodyParagraph` list with heading levels 0..4.

The browser editor marks headings as ``h1``..``h4`` (or ``<p data-level="N">``); Word and WPS
files mark them by paragraph style / outline level or only by the typed numbering
(一、（一）1.（1）). The generator numbers headings itself, so typed numbering is stripped.
A heading that skips a level (a ``1.`` with no ``一、`` above it) stays a plain paragraph
with its text as typed, so the generator never renumbers what the author wrote.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field

import lxml.html
import nh3
from lxml import etree
from lxml.etree import _Element as Element

from services.documents.model import MAX_HEADING_LEVEL, BodyParagraph
from services.errors import ValidationFailed

MAX_DOCX_BYTES = 20 * 1024 * 1024
MAX_UNZIPPED_BYTES = 200 * 1024 * 1024
MAX_HTML_CHARS = 500_000
W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
NS = {"w": W_NS}

ALLOWED_TAGS = {
    "p", "h1", "h2", "h3", "h4", "strong", "b", "em", "i", "u", "br",
    "ol", "ul", "li", "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "p": {"data-level"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
}
HEADING_TAGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4}
BLOCK_TAGS = {"p", "li", *HEADING_TAGS}
BOLD, ITALIC, UNDERLINE = {"strong", "b"}, {"em", "i"}, {"u"}

_CN = "一二三四五六七八九十百零〇"
# Typed heading numbers, by level: 一、  （一）  1.  （1）.
NUMBERING = {
    1: re.compile(rf"^\s*[{_CN}]+\s*[、．.]\s*"),
    2: re.compile(rf"^\s*[（(]\s*[{_CN}]+\s*[）)]\s*[、．.]?\s*"),
    3: re.compile(r"^\s*\d{1,3}\s*[.．、](?!\d)\s*"),
    4: re.compile(r"^\s*[（(]\s*\d{1,3}\s*[）)]\s*"),
}
# Built-in heading style names of Word (English and Chinese UI) and WPS, and ours.
_HEADING_NAME = re.compile(r"^(?:heading|标题)\s*([1-4])$", re.IGNORECASE)
_OA_HEADINGS = {"OA-一级标题": 1, "OA-二级标题": 2, "OA-三级标题": 3, "OA-四级标题": 4}


@dataclass
class InlineRun:
    """A run of text in an HTML block with its character formatting."""

    text: str
    bold: bool = False
    italic: bool = False
    underline: bool = False


@dataclass
class Block:
    """One paragraph (``rows`` empty) or one table (``rows`` of cell texts) of HTML 正文."""

    level: int = 0
    runs: list[InlineRun] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "".join(run.text for run in self.runs)


# ---------------------------------------------------------------- HTML


def sanitise_html(html: str) -> str:
    """``html`` reduced to the body whitelist: paragraphs, four heading levels, bold, italic,
    underline, line breaks, lists and simple tables; scripts and event handlers are dropped."""
    if not isinstance(html, str):
        raise ValidationFailed("正文格式有误", errors={"html": "正文应为文字"})
    if len(html) > MAX_HTML_CHARS:
        raise ValidationFailed("正文过长", errors={"html": "正文过长，请分拆或上传 Word 文档"})
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        clean_content_tags={"script", "style"},
        url_schemes=set(),
        link_rel=None,
        strip_comments=True,
    ).strip()


def html_blocks(clean_html: str) -> list[Block]:
    """The paragraphs and tables of sanitised HTML, in order, with inline formatting."""
    if not clean_html.strip():
        return []
    root = lxml.html.fragment_fromstring(clean_html, create_parent="div")
    blocks: list[Block] = []
    _collect(root, blocks)
    return [b for b in blocks if b.rows or b.text.strip()]


def _collect(element: Element, blocks: list[Block]) -> None:
    """Walk ``element``'s children: block elements become blocks, loose inline content
    between them is gathered into a plain paragraph."""
    loose = Block()
    _inline_text(element.text, loose, ())
    for child in element:
        tag = child.tag if isinstance(child.tag, str) else ""
        if tag == "table":
            _flush(loose, blocks)
            loose = Block()
            blocks.append(Block(rows=_table_rows(child)))
        elif tag in BLOCK_TAGS and not _has_blocks(child):
            _flush(loose, blocks)
            loose = Block()
            _block(child, blocks)
        elif tag in BLOCK_TAGS or tag in ("ol", "ul", "thead", "tbody"):
            _flush(loose, blocks)
            loose = Block()
            _collect(child, blocks)
        else:
            _inline(child, loose, (), blocks)
        _inline_text(child.tail, loose, ())
    _flush(loose, blocks)


def _has_blocks(element: Element) -> bool:
    return any(
        isinstance(e.tag, str) and e.tag in (*BLOCK_TAGS, "table", "ol", "ul")
        for e in element.iterdescendants()
    )


def _block(element: Element, blocks: list[Block]) -> None:
    level = HEADING_TAGS.get(element.tag, 0)
    if element.tag == "p" and (element.get("data-level") or "").isdigit():
        level = min(int(element.get("data-level") or 0), MAX_HEADING_LEVEL)
    block = Block(level=level)
    _inline_text(element.text, block, ())
    for child in element:
        _inline(child, block, (), blocks)
        _inline_text(child.tail, block, ())
    _flush(block, blocks)


def _inline(element: Element, block: Block, marks: tuple[str, ...], blocks: list[Block]) -> None:
    tag = element.tag if isinstance(element.tag, str) else ""
    if tag == "br":
        # A line break inside a paragraph starts a new plain paragraph.
        _flush(Block(level=block.level, runs=list(block.runs)), blocks)
        block.runs.clear()
        block.level = 0
        return
    inner = (*marks, tag)
    _inline_text(element.text, block, inner)
    for child in element:
        _inline(child, block, inner, blocks)
        _inline_text(child.tail, block, inner)


def _inline_text(text: str | None, block: Block, marks: tuple[str, ...]) -> None:
    if not text:
        return
    text = re.sub(r"[\r\n\t]+", "", text)
    if not text:
        return
    block.runs.append(
        InlineRun(
            text,
            bold=bool(BOLD.intersection(marks)),
            italic=bool(ITALIC.intersection(marks)),
            underline=bool(UNDERLINE.intersection(marks)),
        )
    )


def _flush(block: Block, blocks: list[Block]) -> None:
    if block.text.strip():
        blocks.append(block)


def _table_rows(table: Element) -> list[list[str]]:
    rows = []
    for row in table.iter("tr"):
        cells = [" ".join(cell.text_content().split()) for cell in row if cell.tag in ("td", "th")]
        if cells:
            rows.append(cells)
    return rows


def html_paragraphs(clean_html: str) -> list[BodyParagraph]:
    """Generator paragraphs of sanitised HTML; a table row becomes one paragraph of its cells."""
    items: list[tuple[str, int]] = []
    for block in html_blocks(clean_html):
        if block.rows:
            items += [("　".join(cells), 0) for cells in block.rows]
        else:
            items.append((block.text.strip(), block.level))
    return normalise(items)


# ---------------------------------------------------------------- levels


def strip_numbering(text: str, level: int) -> str:
    """``text`` without the typed heading number of ``level`` (``一、`` for level 1 ...)."""
    pattern = NUMBERING.get(level)
    return pattern.sub("", text, count=1) if pattern else text


def detect_level(text: str) -> int:
    """The heading level implied by typed numbering at the start of ``text`` (0 when none)."""
    for level in (2, 4, 1, 3):
        if NUMBERING[level].match(text) and NUMBERING[level].sub("", text, count=1).strip():
            return level
    return 0


def normalise(items: list[tuple[str, int]]) -> list[BodyParagraph]:
    """Paragraphs from ``(text, level)`` pairs: numbering stripped from headings; a heading that
    would skip a level stays a plain paragraph with its typed text."""
    result, previous = [], 0
    for text, level in items:
        text = text.strip()
        if not text:
            continue
        stripped = strip_numbering(text, level).strip() if level else text
        if level > previous + 1 or not stripped:
            result.append(BodyParagraph(text, 0))
            continue
        result.append(BodyParagraph(stripped, level))
        previous = level or previous
    return result


# ---------------------------------------------------------------- .docx


def validate_docx(data: bytes, filename: str = "") -> None:
    """Refuse anything but a real, macro-free .docx within the size limits (Chinese errors)."""

    def fail(message: str) -> ValidationFailed:
        return ValidationFailed(message, errors={"file": message})

    name = (filename or "").lower()
    if not data:
        raise fail("请选择要上传的正文文件")
    if name.endswith((".docm", ".dotm")):
        raise fail("不接受含宏的文档（.docm），请另存为 .docx 后上传")
    if len(data) > MAX_DOCX_BYTES:
        raise fail(f"文件过大，正文文件不能超过 {MAX_DOCX_BYTES // 1024 // 1024} MB")
    if data[:4] == b"\xd0\xcf\x11\xe0":
        raise fail("不支持旧版 .doc 或加密的文档，请在 Word 或 WPS 中另存为 .docx 后上传")
    if name and not name.endswith(".docx"):
        raise fail("只能上传 Word 文档（.docx）")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            problem = _archive_problem(archive)
            if problem:
                raise fail(problem)
            document = archive.read("word/document.xml")
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError) as exc:
        raise fail("不是有效的 Word 文档（.docx），文件可能已损坏") from exc
    root = _parse_xml(document)
    if root is None or root.find("w:body", NS) is None:
        raise fail("不是有效的 Word 文档（.docx）：正文部件无法读取")


def _archive_problem(archive: zipfile.ZipFile) -> str:
    """Why the archive is not an acceptable .docx ("" when it is)."""
    names = set(archive.namelist())
    if "word/document.xml" not in names:
        return "不是有效的 Word 文档（.docx）：缺少 word/document.xml"
    types = archive.read("[Content_Types].xml") if "[Content_Types].xml" in names else b""
    if any(n.lower().endswith("vbaproject.bin") for n in names) or b"macroEnabled" in types:
        return "不接受含宏的文档（.docm），请另存为 .docx 后上传"
    if sum(info.file_size for info in archive.infolist()) > MAX_UNZIPPED_BYTES:
        return "文件解压后过大，无法处理"
    return ""


def _parse_xml(raw: bytes) -> Element | None:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    try:
        return etree.fromstring(raw, parser)
    except etree.XMLSyntaxError:
        return None


def docx_paragraphs(data: bytes) -> list[BodyParagraph]:
    """Generator paragraphs of a .docx: levels from heading styles / outline levels, else from
    typed numbering. Tracked insertions count as accepted, deletions as gone."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = set(archive.namelist())
        document = _parse_xml(archive.read("word/document.xml"))
        styles = _parse_xml(archive.read("word/styles.xml")) if "word/styles.xml" in names else None
    body = document.find("w:body", NS) if document is not None else None
    if body is None:
        return []
    outline = _style_outline_levels(styles)
    items: list[tuple[str, int]] = []
    _docx_items(body, outline, items)
    return normalise(items)


def _docx_items(parent: Element, outline: dict[str, int], items: list[tuple[str, int]]) -> None:
    """Paragraphs in document order; a table row becomes one item of its cell texts."""
    for child in parent:
        if child.tag == f"{{{W_NS}}}p":
            text = paragraph_text(child)
            level = _paragraph_level(child, outline)
            items.append((text, level if level else detect_level(text)))
        elif child.tag == f"{{{W_NS}}}tbl":
            for row in child.iter(f"{{{W_NS}}}tr"):
                cells = row.findall(f"{{{W_NS}}}tc")
                text = "　".join(
                    "".join(paragraph_text(p) for p in cell.iter(f"{{{W_NS}}}p")).strip()
                    for cell in cells
                )
                items.append((text, 0))
        elif child.tag != f"{{{W_NS}}}sectPr":
            _docx_items(child, outline, items)


def paragraph_text(para: Element) -> str:
    """Visible text of a ``w:p`` with tracked changes accepted (``w:delText`` is skipped)."""
    parts = []
    for node in para.iter(f"{{{W_NS}}}t", f"{{{W_NS}}}tab"):
        if any(a.tag == f"{{{W_NS}}}moveFrom" for a in node.iterancestors()):
            continue  # moved-away text is shown again where it was moved to
        parts.append((node.text or "") if node.tag == f"{{{W_NS}}}t" else " ")
    return "".join(parts)


def _paragraph_level(para: Element, outline: dict[str, int]) -> int:
    direct = para.find("w:pPr/w:outlineLvl", NS)
    if direct is not None:
        return _outline_to_level(direct.get(f"{{{W_NS}}}val", ""))
    style = para.find("w:pPr/w:pStyle", NS)
    return outline.get(style.get(f"{{{W_NS}}}val", "") if style is not None else "", 0)


def _outline_to_level(value: str) -> int:
    """Word's 0-based outline level to our 1..4 (9 means body text)."""
    return int(value) + 1 if value.isdigit() and int(value) < MAX_HEADING_LEVEL else 0


def _style_outline_levels(styles: Element | None) -> dict[str, int]:
    """Heading level per paragraph style id, following ``basedOn`` for the outline level."""
    if styles is None:
        return {}
    by_id = {s.get(f"{{{W_NS}}}styleId", ""): s for s in styles.iter(f"{{{W_NS}}}style")}
    return {sid: _style_level(sid, by_id) for sid in by_id}


def _style_level(style_id: str, by_id: dict[str, Element]) -> int:
    seen: set[str] = set()
    while style_id in by_id and style_id not in seen:
        seen.add(style_id)
        style = by_id[style_id]
        name_node = style.find("w:name", NS)
        name = name_node.get(f"{{{W_NS}}}val", "") if name_node is not None else ""
        if name in _OA_HEADINGS:
            return _OA_HEADINGS[name]
        if match := _HEADING_NAME.match(name.strip()):
            return int(match.group(1))
        node = style.find("w:pPr/w:outlineLvl", NS)
        if node is not None:
            return _outline_to_level(node.get(f"{{{W_NS}}}val", ""))
        based = style.find("w:basedOn", NS)
        style_id = based.get(f"{{{W_NS}}}val", "") if based is not None else ""
    return 0
