"""GB/T 9704 format checker: ``check_docx(path_or_bytes, kind=...)`` lists every violation.

Parts are found by the ``OA-*`` paragraph styles the generator writes; documents from Word or
WPS without them get their parts guessed from the text and position (标志 before the 发文字号,
标题 after it, 主送 ending in a colon, 抄送 and 印发 at the end ...). Each rule has a stable id
(``number.format``, ``mark.color`` ...) listed in ``RULES`` and in docs/gongwen-format.md.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from services.documents import docx_view, layout
from services.documents.docx_view import DocxView, ParagraphView

ERROR, WARNING = "error", "warning"
MM = layout.TWIPS_PER_MM


@dataclass(frozen=True)
class Violation:
    """One broken rule: its id, error or warning, a Chinese message, and where it is."""

    rule: str
    severity: str
    message: str
    location: str


ROLE_BY_STYLE = {
    "OA-份号": "copy_no",
    "OA-密级": "secrecy",
    "OA-紧急程度": "urgency",
    "OA-发文机关标志": "mark",
    "OA-发文字号": "number",
    "OA-标题": "title",
    "OA-主送机关": "recipients",
    "OA-正文": "body",
    "OA-一级标题": "body",
    "OA-二级标题": "body",
    "OA-三级标题": "body",
    "OA-四级标题": "body",
    "OA-附件说明": "attachment",
    "OA-发文机关署名": "signature",
    "OA-成文日期": "date",
    "OA-附注": "note",
    "OA-出席人员": "attendees",
    "OA-抄送机关": "copy_to",
    "OA-印发机关和日期": "printed",
}
NUMBER_RE = re.compile(r"^\S+〔\d{4}〕[1-9]\d*号$")
NUMBER_LIKE = re.compile(r"\S+[〔\[［(（]\s*\d{4}\s*[〕\]］)）]\s*第?\s*\d+\s*号")
DATE_RE = re.compile(r"^\d{4}年[1-9]\d?月[1-9]\d?日$")
DATE_LIKE = re.compile(
    r"^[\d〇○零一二三四五六七八九十]{4}年[\d〇○零一二三四五六七八九十]{1,3}月.{1,4}日$"
)
SECRECY_RE = re.compile(r"^(绝密|机密|秘密)")
URGENCY_RE = re.compile(r"^(特急|加急)$")
HEADING_PATTERNS = (
    (1, re.compile(r"^[一二三四五六七八九十]+、")),
    (2, re.compile(r"^（[一二三四五六七八九十]+）")),
    (3, re.compile(r"^\d+[.．](?!\d)")),
    (4, re.compile(r"^（\d+）")),
)
HEADING_FONTS = {1: ("黑体",), 2: ("楷体",), 3: ("仿宋",), 4: ("仿宋",)}
UPWARD_KINDS = ("请示", "报告")
TOLERANCE = round(1 * MM)


def check_docx(source: str | Path | bytes, *, kind: str | None = None) -> list[Violation]:
    """All GB/T 9704 violations of a .docx (path or bytes); ``kind`` is the 文种 when known."""
    view = docx_view.load(source)
    assign_roles(view.paragraphs)
    kind = kind or _infer_kind(view)
    return [v for rule in RULES.values() for v in rule(view, kind)]


def assign_roles(paragraphs: list[ParagraphView]) -> None:
    """Set ``role`` on each paragraph: from the OA-* styles, else guessed from the text."""
    if any(p.style_name in ROLE_BY_STYLE for p in paragraphs):
        for p in paragraphs:
            p.role = ROLE_BY_STYLE.get(p.style_name, "")
        return
    _guess_roles([p for p in paragraphs if p.text.strip()])


def _guess_roles(paragraphs: list[ParagraphView]) -> None:
    number_at = next((i for i, p in enumerate(paragraphs) if NUMBER_LIKE.match(p.text)), None)
    start = 0
    if number_at is not None:
        for p in paragraphs[:number_at]:
            p.role = _top_role(p.text.strip())
        paragraphs[number_at].role = "number"
        start = number_at + 1
    rest = paragraphs[start:]
    if rest:
        rest[0].role = "title"
    if len(rest) > 1 and _looks_like_recipients(rest[1].text.strip()):
        rest[1].role = "recipients"
    previous: ParagraphView | None = None
    for p in rest:
        if not p.role:
            p.role = _tail_role(p.text.strip(), previous)
        if p.role == "date" and previous is not None and previous.role == "body":
            previous.role = "signature"
        previous = p


def _top_role(text: str) -> str:
    if re.fullmatch(r"\d{6}", text):
        return "copy_no"
    if SECRECY_RE.match(text):
        return "secrecy"
    return "urgency" if URGENCY_RE.match(text) else "mark"


def _looks_like_recipients(text: str) -> bool:
    return text.endswith(("：", ":")) or (len(text) < 80 and not text.endswith("。"))


def _tail_role(text: str, previous: ParagraphView | None) -> str:
    if text.startswith("抄送"):
        return "copy_to"
    if text.endswith("印发"):
        return "printed"
    if text.startswith("附件") or (previous is not None and previous.role == "attachment"):
        return "attachment" if not DATE_LIKE.match(text) else "date"
    if DATE_LIKE.match(text):
        return "date"
    if text.startswith(("出席", "请假", "列席")):
        return "attendees"
    if text.startswith(("（", "(")) and previous is not None and previous.role == "date":
        return "note"
    return "body"


def _infer_kind(view: DocxView) -> str:
    """The 文种 from the 标题's last words (or the 标志 for 纪要), "" when unknown."""
    titles = [p.text.strip() for p in view.paragraphs if p.role == "title"]
    marks = [p.text for p in view.paragraphs + view.header_paragraphs if p.role == "mark"]
    if any(m.endswith("纪要") for m in marks):
        return "纪要"
    for kind in ("请示", "报告", "决定", "通知", "通报", "批复", "意见", "函", "纪要"):
        if titles and titles[0].endswith(kind):
            return kind
    return ""


def _where(p: ParagraphView) -> str:
    excerpt = p.text.strip().replace("\t", " ")[:24]
    return f"第{p.index + 1}段“{excerpt}”"


def _role(view: DocxView, role: str) -> list[ParagraphView]:
    return [p for p in view.paragraphs if p.role == role and p.text.strip()]


def _has_font(p: ParagraphView, family: str | tuple[str, ...]) -> bool:
    """True when every text run's East Asian font belongs to the family (仿宋 ~ 仿宋_GB2312)."""
    families = (family,) if isinstance(family, str) else family
    fonts = p.fonts()
    return bool(fonts) and all(any(f in font for f in families) for font in fonts)


# --- page -------------------------------------------------------------------------------------


def check_page_size(view: DocxView, kind: str) -> Iterable[Violation]:
    """page.size: A4 portrait."""
    width, height = view.page.get("w", 0), view.page.get("h", 0)
    if abs(width - layout.PAGE_WIDTH) > TOLERANCE or abs(height - layout.PAGE_HEIGHT) > TOLERANCE:
        yield Violation(
            "page.size",
            ERROR,
            f"纸张应为A4纵向（210mm×297mm），实际为{width / MM:.0f}mm×{height / MM:.0f}mm",
            "页面设置",
        )


def check_margins(view: DocxView, kind: str) -> Iterable[Violation]:
    """page.margin: top 37, bottom 35, left 28, right 26 mm (type area 156 x 225 mm), ±1 mm."""
    expected = {
        "top": (layout.MARGIN_TOP, "上"),
        "bottom": (layout.MARGIN_BOTTOM, "下"),
        "left": (layout.MARGIN_LEFT, "左"),
        "right": (layout.MARGIN_RIGHT, "右"),
    }
    for edge, (target, label) in expected.items():
        actual = view.page.get(edge)
        if actual is None or abs(actual - target) > TOLERANCE:
            shown = "未设置" if actual is None else f"{actual / MM:.1f}mm"
            yield Violation(
                "page.margin",
                ERROR,
                f"{label}页边距应为{target / MM:.0f}mm±1mm，实际为{shown}",
                "页面设置",
            )


def check_line_pitch(view: DocxView, kind: str) -> Iterable[Violation]:
    """page.lines: 正文 in exact lines of 28-30 pt, i.e. 22 lines per page (a warning)."""
    for p in _role(view, "body"):
        if not 560 <= p.line <= 600:
            lines = round(225 / (p.line / MM)) if p.line else "不固定"
            yield Violation(
                "page.lines",
                WARNING,
                f"正文应为固定行距约28.95磅（每页22行），此段每页约{lines}行",
                _where(p),
            )
            return


# --- 版头 -------------------------------------------------------------------------------------


def check_mark(view: DocxView, kind: str) -> Iterable[Violation]:
    """mark.missing / mark.color / mark.font: a red 小标宋 发文机关标志."""
    marks = [p for p in view.paragraphs + view.header_paragraphs if p.role == "mark"]
    marks = [p for p in marks if p.text.strip()] or [
        p for p in view.header_paragraphs if p.style_name == "OA-发文机关标志" and p.text.strip()
    ]
    if not marks:
        yield Violation("mark.missing", ERROR, "缺少发文机关标志", "版头")
        return
    for p in marks:
        if not all(docx_view._is_red(c) for c in p.colors()):
            yield Violation("mark.color", ERROR, "发文机关标志应为红色", _where(p))
        if not _has_font(p, "小标宋"):
            fonts = "、".join(sorted(p.fonts()))
            yield Violation(
                "mark.font", ERROR, f"发文机关标志应使用小标宋体，实际为{fonts}", _where(p)
            )


def check_number(view: DocxView, kind: str) -> Iterable[Violation]:
    """number.format: 机关代字〔2025〕7号 with 六角括号, no leading zeros, no 第."""
    numbers = _role(view, "number")
    if not numbers:
        yield Violation("number.missing", ERROR, "缺少发文字号", "版头")
        return
    for p in numbers:
        number = re.split(r"\t|签发人", p.text)[0].strip()
        for message in _number_problems(number):
            yield Violation("number.format", ERROR, f"发文字号“{number}”：{message}", _where(p))


def _number_problems(number: str) -> list[str]:
    problems = []
    if re.search(r"[\[［(（]\s*\d{4}\s*[\]］)）]", number):
        problems.append("年份应使用六角括号〔〕，不能使用[]或()")
    if re.search(r"〕\s*第", number):
        problems.append("顺序号前不加“第”")
    if re.search(r"[〕\]）)]\s*第?0\d*号", number):
        problems.append("顺序号不编虚位（不能有前导零）")
    if not problems and not NUMBER_RE.match(number):
        problems.append("格式应为“机关代字〔年份〕序号号”")
    return problems


def check_signer(view: DocxView, kind: str) -> Iterable[Violation]:
    """signer.required: 上行文 (请示、报告) carry 签发人：name (in 楷体) on the number line."""
    if kind not in UPWARD_KINDS:
        return
    head = [p for p in view.paragraphs if p.role in ("number", "mark", "urgency", "secrecy")]
    carrying = [p for p in head if re.search(r"签发人[：:]\s*\S", p.text)]
    if not carrying:
        yield Violation("signer.required", ERROR, f"{kind}属上行文，必须标注签发人", "版头")
        return
    for p in carrying:
        names = [
            r for r in p.runs if r.text.strip() and "签发人" not in r.text and "〔" not in r.text
        ]
        if names and not all("楷体" in r.font for r in names):
            yield Violation("signer.font", WARNING, "签发人姓名应使用3号楷体", _where(p))


def check_red_line(view: DocxView, kind: str) -> Iterable[Violation]:
    """redline.missing: a red separator line under the 发文字号 (信函: red double lines)."""
    if view.red_rules == 0:
        yield Violation("redline.missing", ERROR, "缺少版头中的红色分隔线", "版头")


def check_top_marks(view: DocxView, kind: str) -> Iterable[Violation]:
    """secrecy.font / urgency.font: 密级 and 紧急程度 in 3号黑体, flush left."""
    for role, label in (("secrecy", "密级和保密期限"), ("urgency", "紧急程度")):
        for p in _role(view, role):
            if not _has_font(p, "黑体"):
                yield Violation(f"{role}.font", ERROR, f"{label}应使用3号黑体", _where(p))


# --- 主体 -------------------------------------------------------------------------------------


def check_title(view: DocxView, kind: str) -> Iterable[Violation]:
    """title.font: 标题 in 2号小标宋, centred."""
    for p in _role(view, "title"):
        if not _has_font(p, "小标宋"):
            yield Violation("title.font", ERROR, "标题应使用2号小标宋体", _where(p))
        if p.sizes() - {layout.SIZE_2}:
            yield Violation("title.size", WARNING, "标题字号应为2号（22磅）", _where(p))
        if p.align != "center":
            yield Violation("title.align", WARNING, "标题应居中排布", _where(p))


def check_recipients(view: DocxView, kind: str) -> Iterable[Violation]:
    """recipients.colon: 主送机关 ends with the full-width colon "："."""
    for p in _role(view, "recipients"):
        if not p.text.rstrip().endswith("："):
            yield Violation("recipients.colon", ERROR, "主送机关最后应标全角冒号“：”", _where(p))


def check_body_font(view: DocxView, kind: str) -> Iterable[Violation]:
    """body.font: 正文 in 3号仿宋 (headings: 黑体 / 楷体 / 仿宋 / 仿宋 by level)."""
    for p in _role(view, "body"):
        level = heading_level(p.text.strip())
        families = HEADING_FONTS.get(level, ("仿宋",))
        if not _has_font(p, families):
            label = f"{level}级标题" if level else "正文"
            yield Violation(
                "body.font",
                ERROR,
                f"{label}应使用{families[0]}，实际为{'、'.join(sorted(p.fonts()))}",
                _where(p),
            )
        if p.sizes() - {layout.SIZE_3}:
            yield Violation("body.size", ERROR, "正文应使用3号字（16磅）", _where(p))


def heading_level(text: str) -> int:
    """1..4 for 一、 （一） 1. （1）, 0 for a plain paragraph."""
    return next((level for level, pattern in HEADING_PATTERNS if pattern.match(text)), 0)


def check_heading_order(view: DocxView, kind: str) -> Iterable[Violation]:
    """heading.order: levels 一、→（一）→1.→（1） without skipping one."""
    deepest = 0
    for p in _role(view, "body"):
        level = heading_level(p.text.strip())
        if level > deepest + 1:
            yield Violation(
                "heading.order",
                ERROR,
                f"结构层次跳级：{deepest}级之后直接出现{level}级标题",
                _where(p),
            )
        if level:
            deepest = level


def check_attachments(view: DocxView, kind: str) -> Iterable[Violation]:
    """attachment.punct: no punctuation after the names in 附件说明."""
    for p in _role(view, "attachment"):
        if p.text.rstrip().endswith(("。", "，", "；", "、", ".", ",", ";")):
            yield Violation("attachment.punct", WARNING, "附件名称后不加标点符号", _where(p))


def check_date(view: DocxView, kind: str) -> Iterable[Violation]:
    """date.format: 成文日期 like 2025年7月1日 (Arabic numerals, no leading zeros)."""
    dates = _role(view, "date")
    if not dates:
        yield Violation("date.missing", ERROR, "缺少成文日期", "主体")
    for p in dates:
        if not DATE_RE.match(p.text.strip()):
            yield Violation(
                "date.format",
                ERROR,
                f"成文日期“{p.text.strip()}”应以阿拉伯数字标全年、月、日，月日不编虚位",
                _where(p),
            )


def check_minutes(view: DocxView, kind: str) -> Iterable[Violation]:
    """minutes.labels: 纪要 attendee labels 出席/请假/列席 in 3号黑体."""
    for p in _role(view, "attendees"):
        label = next((r for r in p.runs if r.text.strip()), None)
        if label is not None and "黑体" not in label.font:
            yield Violation(
                "minutes.labels", ERROR, "出席、请假、列席等标签应使用3号黑体", _where(p)
            )


# --- 版记 and the whole document --------------------------------------------------------------


def check_copy_to(view: DocxView, kind: str) -> Iterable[Violation]:
    """copyto.period / copyto.font: 抄送：…。 in 4号仿宋."""
    for p in _role(view, "copy_to"):
        if not p.text.rstrip().endswith("。"):
            yield Violation("copyto.period", ERROR, "抄送机关最后应标句号“。”", _where(p))
        if p.sizes() - {layout.SIZE_4}:
            yield Violation("copyto.font", WARNING, "版记应使用4号仿宋", _where(p))


def check_page_numbers(view: DocxView, kind: str) -> Iterable[Violation]:
    """pagenum.*: "— 1 —" footers with a PAGE field, odd pages right, even pages left."""
    footers = {f.kind: f for f in view.footers}
    odd = footers.get("default")
    if odd is None or not odd.has_page_field:
        yield Violation("pagenum.missing", ERROR, "缺少页码（页脚中的页码域）", "页脚")
        return
    for footer in (f for f in view.footers if f.has_page_field):
        text = footer.text.strip()
        if not (text.startswith("—") and text.endswith("—")):
            yield Violation(
                "pagenum.format", ERROR, f"页码应为“— 1 —”样式（一字线），实际为“{text}”", "页脚"
            )
    even = footers.get("even")
    if not view.even_and_odd or even is None or not even.has_page_field:
        yield Violation("pagenum.evenodd", ERROR, "页码应奇偶页不同：单页居右、双页居左", "页脚")
    elif odd.align != "right" or even.align != "left":
        yield Violation("pagenum.evenodd", ERROR, "单页码应居右、双页码应居左", "页脚")


def check_no_subject_words(view: DocxView, kind: str) -> Iterable[Violation]:
    """zhutici: no 主题词 (dropped in GB/T 9704-2012)."""
    for p in view.paragraphs:
        if "主题词" in p.text:
            yield Violation("zhutici", ERROR, "GB/T 9704-2012 已取消主题词，不应标注", _where(p))


Rule = Callable[[DocxView, str], Iterable[Violation]]
RULES: dict[str, Rule] = {
    "page.size": check_page_size,
    "page.margin": check_margins,
    "page.lines": check_line_pitch,
    "mark": check_mark,
    "number": check_number,
    "signer": check_signer,
    "redline": check_red_line,
    "top-marks": check_top_marks,
    "title": check_title,
    "recipients": check_recipients,
    "body.font": check_body_font,
    "heading.order": check_heading_order,
    "attachment": check_attachments,
    "date": check_date,
    "minutes": check_minutes,
    "copyto": check_copy_to,
    "pagenum": check_page_numbers,
    "zhutici": check_no_subject_words,
}
