"""GB/T 9704 geometry, the named paragraph styles, and a small WordprocessingML paragraph writer.

Generator, template builder and checker share these names: the checker finds a part of the
document by the style name (``OA-发文字号`` ...) the generator put on it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

TWIPS_PER_MM = 1440 / 25.4
PAGE_WIDTH, PAGE_HEIGHT = 11906, 16838  # A4 in twips
MARGIN_TOP, MARGIN_BOTTOM = 2098, 1984  # 37 mm, 35 mm
MARGIN_LEFT, MARGIN_RIGHT = 1587, 1474  # 28 mm, 26 mm
TEXT_WIDTH = PAGE_WIDTH - MARGIN_LEFT - MARGIN_RIGHT  # 156 mm
TEXT_HEIGHT = PAGE_HEIGHT - MARGIN_TOP - MARGIN_BOTTOM  # 225 mm
LINE_PITCH = 579  # 225 mm / 22 lines, exact line spacing (28.95 pt)
CHAR = 320  # one 3号 character (16 pt) in twips
SMALL_CHAR = 280  # one 4号 character (14 pt)
FOOTER_DISTANCE = 1304  # 23 mm: the page number sits ~7 mm below the type area
LETTER_HEADER_DISTANCE = 1701  # 30 mm: 信函 标志 top edge from the paper edge
LETTER_FOOTER_DISTANCE = 1134  # 20 mm: 信函 lower double line from the bottom edge
LETTER_LINE_OVERHANG = round(7 * TWIPS_PER_MM)  # 170 mm lines over a 156 mm type area
RED = "FF0000"

FANGSONG, XIAOBIAOSONG, HEITI, KAITI, SONGTI = (
    "仿宋_GB2312",
    "方正小标宋简体",
    "黑体",
    "楷体_GB2312",
    "宋体",
)
SIZE_2, SIZE_3, SIZE_4 = 44, 32, 28  # half-points: 二号 22 pt, 三号 16 pt, 四号 14 pt
MARK_SIZE = 72  # 36 pt, shrunk per document when the organ name is long
MARK_MIN_SIZE = 44


@dataclass(frozen=True)
class StyleSpec:
    """One paragraph (or character) style of the templates."""

    style_id: str
    name: str
    font: str = FANGSONG
    size: int = SIZE_3
    color: str = ""
    align: str = "both"
    first_line: int = 0
    left: int = 0
    right: int = 0
    before: int = 0
    exact_line: bool = True
    character: bool = False
    borders: dict[str, tuple[str, int, str]] = field(default_factory=dict)


# Paragraph styles by role; names are what the checker looks for.
STYLES: tuple[StyleSpec, ...] = (
    StyleSpec("OACopyNo", "OA-份号", align="left"),
    StyleSpec("OASecrecy", "OA-密级", font=HEITI, align="left"),
    StyleSpec("OAUrgency", "OA-紧急程度", font=HEITI, align="left"),
    StyleSpec(
        "OAIssuerMark", "OA-发文机关标志", XIAOBIAOSONG, MARK_SIZE, RED, "center", exact_line=False
    ),
    StyleSpec("OADocNumber", "OA-发文字号", align="center"),
    StyleSpec("OASigner", "OA-签发人", align="right", right=CHAR),
    StyleSpec("OARedLine", "OA-红色分隔线", borders={"bottom": ("single", 12, RED)}),
    StyleSpec("OATitle", "OA-标题", XIAOBIAOSONG, SIZE_2, align="center", before=LINE_PITCH),
    StyleSpec("OARecipient", "OA-主送机关", before=LINE_PITCH),
    StyleSpec("OABody", "OA-正文", first_line=2 * CHAR),
    StyleSpec("OAHeading1", "OA-一级标题", HEITI, first_line=2 * CHAR),
    StyleSpec("OAHeading2", "OA-二级标题", KAITI, first_line=2 * CHAR),
    StyleSpec("OAHeading3", "OA-三级标题", first_line=2 * CHAR),
    StyleSpec("OAHeading4", "OA-四级标题", first_line=2 * CHAR),
    StyleSpec("OAAttachment", "OA-附件说明", left=5 * CHAR, first_line=-3 * CHAR),
    StyleSpec("OASignature", "OA-发文机关署名", align="right", before=2 * LINE_PITCH),
    StyleSpec("OADate", "OA-成文日期", align="right", right=4 * CHAR),
    StyleSpec("OANote", "OA-附注", first_line=2 * CHAR),
    StyleSpec("OAAttendee", "OA-出席人员", left=5 * CHAR, first_line=-3 * CHAR),
    StyleSpec(
        "OACopyTo",
        "OA-抄送机关",
        size=SIZE_4,
        left=SMALL_CHAR + 3 * SMALL_CHAR,
        first_line=-3 * SMALL_CHAR,
        right=SMALL_CHAR,
    ),
    StyleSpec(
        "OAPrinted",
        "OA-印发机关和日期",
        size=SIZE_4,
        left=SMALL_CHAR,
        right=SMALL_CHAR,
    ),
    StyleSpec("OAPageNumber", "OA-页码", SONGTI, SIZE_4, align="right", exact_line=False),
    StyleSpec("OAHeiChar", "OA-黑体字", HEITI, character=True),
    StyleSpec("OAKaiChar", "OA-楷体字", KAITI, character=True),
)
STYLE_NAMES = {spec.style_id: spec.name for spec in STYLES}
HEADING_STYLES = ("OABody", "OAHeading1", "OAHeading2", "OAHeading3", "OAHeading4")


@dataclass
class Run:
    """A run of text with an optional character style and direct formatting."""

    text: str
    char_style: str = ""
    font: str = ""
    size: int = 0
    color: str = ""

    def xml(self) -> str:
        props = ""
        if self.char_style:
            props += f'<w:rStyle w:val="{self.char_style}"/>'
        if self.font:
            props += (
                f'<w:rFonts w:ascii="{self.font}" w:hAnsi="{self.font}" w:eastAsia="{self.font}"/>'
            )
        if self.color:
            props += f'<w:color w:val="{self.color}"/>'
        if self.size:
            props += f'<w:sz w:val="{self.size}"/><w:szCs w:val="{self.size}"/>'
        body = "<w:tab/>".join(
            f'<w:t xml:space="preserve">{escape(part)}</w:t>' for part in self.text.split("\t")
        )
        return f"<w:r>{f'<w:rPr>{props}</w:rPr>' if props else ''}{body}</w:r>"


@dataclass
class Para:
    """A paragraph in a named style, with the few per-paragraph overrides the layout needs."""

    style: str
    runs: list[Run] = field(default_factory=list)
    align: str = ""
    left: int | None = None
    right: int | None = None
    hanging: int | None = None
    before: int | None = None
    right_tab: int | None = None
    borders: dict[str, tuple[str, int, str]] = field(default_factory=dict)

    def xml(self) -> str:
        # Child order follows the schema (pStyle, pBdr, tabs, spacing, ind, jc).
        props = f'<w:pStyle w:val="{self.style}"/>'
        if self.borders:
            props += border_xml(self.borders)
        if self.right_tab is not None:
            props += f'<w:tabs><w:tab w:val="right" w:pos="{self.right_tab}"/></w:tabs>'
        if self.before is not None:
            props += f'<w:spacing w:before="{self.before}"/>'
        props += self._indent()
        if self.align:
            props += f'<w:jc w:val="{self.align}"/>'
        return f"<w:p><w:pPr>{props}</w:pPr>{''.join(run.xml() for run in self.runs)}</w:p>"

    def _indent(self) -> str:
        values = {"left": self.left, "right": self.right, "hanging": self.hanging}
        attrs = " ".join(f'w:{k}="{v}"' for k, v in values.items() if v is not None)
        return f"<w:ind {attrs}/>" if attrs else ""


def border_xml(borders: dict[str, tuple[str, int, str]]) -> str:
    """``w:pBdr`` for edges given as (line kind, width in eighths of a point, colour)."""
    order = ("top", "left", "bottom", "right")
    edges = "".join(
        f'<w:{edge} w:val="{kind}" w:sz="{size}" w:space="1" w:color="{color}"/>'
        for edge in order
        if edge in borders
        for kind, size, color in [borders[edge]]
    )
    return f"<w:pBdr>{edges}</w:pBdr>"


# Floating-table position: left edge on the left margin (relative to the page, see BanjiTable),
# bottom edge on the bottom margin.
_BOTTOM_OF_TYPE_AREA = (
    '<w:tblpPr w:leftFromText="0" w:rightFromText="0" w:horzAnchor="page" '
    f'w:tblpX="{MARGIN_LEFT}" w:vertAnchor="margin" w:tblpYSpec="bottom"/>'
    '<w:tblOverlap w:val="never"/>'
)


@dataclass
class BanjiTable:
    """版记: a one-column table whose borders are the 版记 lines (thick first and last, thin
    between), pinned to the foot of the last page: a floating table (``w:tblpPr``) whose bottom
    sits on the bottom margin, so its last line is the bottom edge of the type area.

    LibreOffice only turns a floating table into a positioned frame when text could wrap
    beside it; a table as wide as the type area anchored to the margin column fails that
    test and just follows the body. Anchoring horizontally to the page (``tblpX`` = left
    margin) passes it; Word reads the same properties. Body text does not flow over it
    (``tblOverlap never``): without room on the last page the 版记 moves to the next page."""

    rows: list[Para]

    def xml(self) -> str:
        thick, thin = 'w:val="single" w:sz="8"', 'w:val="single" w:sz="6"'
        cells = "".join(
            f'<w:tr><w:tc><w:tcPr><w:tcW w:w="{TEXT_WIDTH}" w:type="dxa"/></w:tcPr>'
            f"{row.xml()}</w:tc></w:tr>"
            for row in self.rows
        )
        return (
            f"<w:tbl><w:tblPr>{_BOTTOM_OF_TYPE_AREA}"
            f'<w:tblW w:w="{TEXT_WIDTH}" w:type="dxa"/>'
            f"<w:tblBorders><w:top {thick}/><w:bottom {thick}/><w:insideH {thin}/></w:tblBorders>"
            '<w:tblLayout w:type="fixed"/><w:tblCellMar><w:left w:w="0" w:type="dxa"/>'
            '<w:right w:w="0" w:type="dxa"/></w:tblCellMar></w:tblPr>'
            f'<w:tblGrid><w:gridCol w:w="{TEXT_WIDTH}"/></w:tblGrid>{cells}</w:tbl>'
            # A document must end with a paragraph; a tiny one keeps the last page from growing.
            '<w:p><w:pPr><w:spacing w:line="20" w:lineRule="exact"/></w:pPr></w:p>'
        )


class Fragment:
    """Body XML for a docxtpl ``{{p name}}`` placeholder (docxtpl inserts ``str()``)."""

    def __init__(self, parts: Sequence[Para | BanjiTable]) -> None:
        self.xml = "".join(part.xml() for part in parts)

    def __str__(self) -> str:
        return self.xml

    def __html__(self) -> str:
        return self.xml
