"""套红: render an :class:`OfficialDocument` as a GB/T 9704 red-header .docx.

The per-format template (built by ``templates/build.py``) fixes page, styles, lines and page
numbers; this module builds the variable parts as styled paragraphs and docxtpl puts them in.
Every paragraph carries an ``OA-*`` style so the format checker can find its role again.
"""

from __future__ import annotations

import functools
import io

from docxtpl import DocxTemplate

from services.documents import layout
from services.documents.layout import CHAR, LINE_PITCH, BanjiTable, Fragment, Para, Run
from services.documents.model import (
    FORMAT_LETTER,
    FORMAT_MINUTES,
    FORMAT_UPWARD,
    FORMATS,
    MAX_HEADING_LEVEL,
    BodyParagraph,
    OfficialDocument,
    chinese_date,
)
from services.documents.templates.build import template_path
from services.errors import ValidationFailed

CHINESE_DIGITS = "零一二三四五六七八九"
# The 标志 top edge sits 35 mm below the top of the type area (GB/T 9704 7.2.4).
MARK_OFFSET = round(35 * layout.TWIPS_PER_MM)


def render(doc: OfficialDocument, fmt: str | None = None) -> bytes:
    """The .docx bytes of ``doc`` in format ``fmt`` (通用/上行文/信函/纪要; default from 文种)."""
    fmt = fmt or doc.format
    _validate(doc, fmt)
    template = DocxTemplate(io.BytesIO(_template_bytes(fmt)))
    context = {
        "head": Fragment(head_paragraphs(doc, fmt)),
        "mark": Fragment(_mark_paragraphs(doc, fmt)),
        "main": Fragment(main_paragraphs(doc, fmt)),
        "banji": Fragment(banji_paragraphs(doc, fmt)),
    }
    template.render(context)
    out = io.BytesIO()
    template.save(out)
    return out.getvalue()


@functools.cache
def _template_bytes(fmt: str) -> bytes:
    return template_path(fmt).read_bytes()


def _validate(doc: OfficialDocument, fmt: str) -> None:
    errors: dict[str, str] = {}
    if fmt not in FORMATS:
        errors["fmt"] = f"未知的公文格式：{fmt}"
    if not doc.issuers:
        errors["issuers"] = "请填写发文机关"
    if fmt == FORMAT_UPWARD and not doc.signers:
        errors["signers"] = "上行文（请示、报告）必须标注签发人"
    previous = 0
    for paragraph in doc.body:
        if not 0 <= paragraph.level <= MAX_HEADING_LEVEL or paragraph.level > previous + 1:
            errors["body"] = f"标题层次跳级：“{paragraph.text[:20]}”"
            break
        previous = paragraph.level or previous
    if errors:
        raise ValidationFailed("公文要素不完整或不合规", errors=errors)


def head_paragraphs(doc: OfficialDocument, fmt: str) -> list[Para]:
    """版头 above the red line: 份号, 密级, 紧急程度, 标志 and 发文字号 (with 签发人)."""
    paragraphs = _marks_top_left(doc)
    if fmt == FORMAT_LETTER:
        # 信函: the 标志 is in the first-page header; the number goes flush right below it.
        paragraphs.insert(0, Para("OADocNumber", [Run(doc.number)], align="right"))
        return paragraphs
    before = max(0, MARK_OFFSET - LINE_PITCH * len(paragraphs))
    paragraphs += _mark_paragraphs(doc, fmt, before=before)
    if fmt == FORMAT_UPWARD:
        paragraphs.append(_upward_number_line(doc))
    else:
        paragraphs.append(Para("OADocNumber", [Run(doc.number)], before=LINE_PITCH))
    return paragraphs


def _marks_top_left(doc: OfficialDocument) -> list[Para]:
    paragraphs = []
    if doc.copy_no:
        paragraphs.append(Para("OACopyNo", [Run(doc.copy_no)]))
    if doc.secrecy:
        period = f"★{doc.secrecy_period}" if doc.secrecy_period else ""
        paragraphs.append(Para("OASecrecy", [Run(doc.secrecy + period)]))
    if doc.urgency:
        paragraphs.append(Para("OAUrgency", [Run(doc.urgency)]))
    return paragraphs


def mark_text(doc: OfficialDocument, fmt: str) -> list[str]:
    """The lines of the 发文机关标志: one per issuing organ, 文件/纪要 after the last."""
    if doc.mark:
        return [doc.mark]
    suffix = {FORMAT_LETTER: "", FORMAT_MINUTES: "纪要"}.get(fmt, "文件")
    lines = list(doc.issuers)
    lines[-1] += suffix
    return lines


def _mark_paragraphs(doc: OfficialDocument, fmt: str, before: int | None = None) -> list[Para]:
    if not doc.issuers:
        return []
    lines = mark_text(doc, fmt)
    size = _mark_size(max(_width(line) for line in lines))
    paragraphs = [Para("OAIssuerMark", [Run(line, size=size)]) for line in lines]
    paragraphs[0].before = before
    return paragraphs


def _mark_size(width: float) -> int:
    """Half-points so that the longest 标志 line fits the 156 mm type area."""
    fitting = int(layout.TEXT_WIDTH / 10 * 0.92 / max(width, 1))
    return max(layout.MARK_MIN_SIZE, min(layout.MARK_SIZE, fitting))


def _upward_number_line(doc: OfficialDocument) -> Para:
    """上行文: 发文字号 one character in on the left, 签发人 one character in on the right."""
    return Para(
        "OADocNumber",
        [Run(doc.number + "\t签发人："), Run("　".join(doc.signers), char_style="OAKaiChar")],
        align="left",
        left=CHAR,
        right=CHAR,
        before=LINE_PITCH,
        right_tab=layout.TEXT_WIDTH - CHAR,
    )


def main_paragraphs(doc: OfficialDocument, fmt: str) -> list[Para]:
    """主体: 标题, 主送, 正文 (numbered headings), 附件说明, 署名, 日期, 附注, 纪要 attendees."""
    paragraphs = [Para("OATitle", [Run(doc.title)], before=2 * LINE_PITCH)]
    if doc.recipients:
        recipients = doc.recipients.rstrip("：:") + "："
        paragraphs.append(Para("OARecipient", [Run(recipients)]))
    paragraphs += body_paragraphs(doc.body)
    paragraphs += _attachment_note(doc.attachments)
    if fmt == FORMAT_MINUTES:
        paragraphs += _attendees(doc.attendees)
    paragraphs += _signature(doc, fmt)
    if doc.note:
        paragraphs.append(Para("OANote", [Run(f"（{doc.note.strip('（）()')}）")]))
    return paragraphs


def body_paragraphs(body: list[BodyParagraph]) -> list[Para]:
    """正文 paragraphs; headings get 一、 （一） 1. （1） numbered per level, lower levels reset."""
    counters = [0] * (MAX_HEADING_LEVEL + 1)
    paragraphs = []
    for paragraph in body:
        level = paragraph.level
        prefix = ""
        if level:
            counters[level] += 1
            counters[level + 1 :] = [0] * (MAX_HEADING_LEVEL - level)
            prefix = heading_prefix(level, counters[level])
        style = layout.HEADING_STYLES[level]
        paragraphs.append(Para(style, [Run(prefix + paragraph.text)]))
    return paragraphs


def heading_prefix(level: int, number: int) -> str:
    """``一、`` ``（一）`` ``1.`` ``（1）`` for heading levels 1 to 4."""
    if level == 1:
        return chinese_number(number) + "、"
    if level == 2:
        return f"（{chinese_number(number)}）"
    if level == 3:
        return f"{number}."
    return f"（{number}）"


def chinese_number(number: int) -> str:
    """1..99 in Chinese numerals (十一, 二十三), as heading numbers are written."""
    tens, ones = divmod(number, 10)
    if tens == 0:
        return CHINESE_DIGITS[ones]
    head = "" if tens == 1 else CHINESE_DIGITS[tens]
    return head + "十" + (CHINESE_DIGITS[ones] if ones else "")


def _attachment_note(attachments: list[str]) -> list[Para]:
    """附件说明: 附件：1. 名称 …, names without closing punctuation, later items aligned."""
    if not attachments:
        return []
    if len(attachments) == 1:
        items = [attachments[0].rstrip("。，；.")]
    else:
        items = [f"{i}. {name.rstrip('。，；.')}" for i, name in enumerate(attachments, 1)]
    paragraphs = [Para("OAAttachment", [Run("附件：" + items[0])], before=LINE_PITCH)]
    paragraphs += [
        Para("OAAttachment", [Run(item)], hanging=0, left=5 * CHAR) for item in items[1:]
    ]
    return paragraphs


def _attendees(attendees: dict[str, list[str]]) -> list[Para]:
    paragraphs = []
    for label in ("出席", "请假", "列席"):
        names = attendees.get(label)
        if names:
            runs = [Run(f"{label}：", char_style="OAHeiChar"), Run("，".join(names))]
            paragraphs.append(Para("OAAttendee", runs))
    if paragraphs:
        paragraphs[0].before = LINE_PITCH
    return paragraphs


def _signature(doc: OfficialDocument, fmt: str) -> list[Para]:
    """署名 (one line per organ) centred over the 成文日期, which is 右空四字."""
    date = chinese_date(doc.signed_on)
    if fmt == FORMAT_MINUTES:
        return [Para("OADate", [Run(date)], before=LINE_PITCH)]
    names = [doc.signature] if doc.signature else list(doc.issuers)
    paragraphs = []
    for name in names:
        shift = max(0.0, (_width(date) - _width(name)) / 2)
        paragraphs.append(Para("OASignature", [Run(name)], right=4 * CHAR + int(shift * CHAR)))
    for paragraph in paragraphs[1:]:
        paragraph.before = 0
    return [*paragraphs, Para("OADate", [Run(date)])]


def banji_paragraphs(doc: OfficialDocument, fmt: str) -> list[BanjiTable]:
    """版记 at the foot of the last page: 抄送 and 印发机关和印发日期 between the 版记 lines."""
    rows = []
    if doc.copy_to:
        text = "，".join(doc.copy_to).rstrip("。") + "。"
        rows.append(Para("OACopyTo", [Run("抄送：" + text)]))
    if fmt != FORMAT_LETTER and doc.printed_by:
        printed_on = chinese_date(doc.printed_on or doc.signed_on)
        run = Run(f"{doc.printed_by}\t{printed_on}印发")
        right_tab = layout.TEXT_WIDTH - layout.SMALL_CHAR
        rows.append(Para("OAPrinted", [run], right_tab=right_tab))
    return [BanjiTable(rows)] if rows else []


def _width(text: str) -> float:
    """Width in characters: CJK and full-width count 1, ASCII digits and letters 0.5."""
    return sum(1.0 if ord(ch) > 0xFF else 0.5 for ch in text)
