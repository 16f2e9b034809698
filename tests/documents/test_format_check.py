"""Each checker rule catches a document that breaks it (and only the generated ones pass)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path

import pytest
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt, RGBColor

from services.documents import redhead
from services.documents.format_check import ERROR, WARNING, check_docx
from services.documents.samples import sample_document
from services.errors import ValidationFailed
from tests.documents.docx_edit import edit_part, edit_style

DOC = "word/document.xml"
FOOTER = "word/footer1.xml"
SETTINGS = "word/settings.xml"
Mutation = Callable[[bytes], bytes]


@functools.cache
def generated(kind: str) -> bytes:
    return redhead.render(sample_document(kind))


def _in_part(part: str, old: str, new: str) -> Mutation:
    return lambda docx: edit_part(docx, part, old, new)


def _in_doc(old: str, new: str) -> Mutation:
    return _in_part(DOC, old, new)


def _in_style(style_id: str, old: str, new: str) -> Mutation:
    return lambda docx: edit_style(docx, style_id, old, new)


def _east_asia_font(style_id: str, old: str, new: str) -> Mutation:
    return _in_style(style_id, f'w:eastAsia="{old}"', f'w:eastAsia="{new}"')


def _font_size(style_id: str, old_half_points: int, new_half_points: int) -> Mutation:
    return _in_style(style_id, f'w:sz w:val="{old_half_points}"', f'w:sz w:val="{new_half_points}"')


def _append_paragraph(text: str) -> Mutation:
    paragraph = f'<w:p><w:r><w:t xml:space="preserve">{text}</w:t></w:r></w:p><w:sectPr'
    return _in_doc("<w:sectPr", paragraph)


MUTATIONS: list[tuple[str, str, Mutation, str]] = [
    ("margin", "通知", _in_doc('w:top="2098"', 'w:top="1440"'), "page.margin"),
    ("letter-size", "通知", _in_doc('w:w="11906"', 'w:w="12240"'), "page.size"),
    ("square-brackets", "通知", _in_doc("〔2025〕7号", "[2025]7号"), "number.format"),
    ("round-brackets", "函", _in_doc("〔2025〕12号", "（2025）12号"), "number.format"),
    ("leading-zero", "通知", _in_doc("〔2025〕7号", "〔2025〕07号"), "number.format"),
    ("di", "通知", _in_doc("〔2025〕7号", "〔2025〕第7号"), "number.format"),
    ("no-signer", "请示", _in_doc("签发人：", ""), "signer.required"),
    ("signer-font", "报告", _in_style("OAKaiChar", "楷体_GB2312", "仿宋_GB2312"), "signer.font"),
    ("copy-to-size", "通知", _font_size("OACopyTo", 28, 32), "copyto.font"),
    ("copy-to-period", "通知", _in_doc("市政协办公室。", "市政协办公室"), "copyto.period"),
    ("black-mark", "通知", _in_style("OAIssuerMark", "FF0000", "000000"), "mark.color"),
    ("black-letter-mark", "函", _in_style("OAIssuerMark", "FF0000", "000000"), "mark.color"),
    ("mark-font", "通知", _in_style("OAIssuerMark", "方正小标宋简体", "宋体"), "mark.font"),
    ("zhutici", "通知", _append_paragraph("主题词：防汛　通知"), "zhutici"),
    ("skipped-heading", "通知", _in_doc("（一）压实", "1.压实"), "heading.order"),
    ("body-font", "通知", _in_style("OABody", "仿宋_GB2312", "宋体"), "body.font"),
    ("heading1-font", "通知", _east_asia_font("OAHeading1", "黑体", "宋体"), "body.font"),
    ("body-size", "通知", _font_size("OABody", 32, 28), "body.size"),
    ("title-font", "通知", _in_style("OATitle", "方正小标宋简体", "黑体"), "title.font"),
    ("recipient-colon", "通知", _in_doc("市政府各部门：", "市政府各部门"), "recipients.colon"),
    ("date-leading-zero", "通知", _in_doc(">2025年6月3日<", ">2025年06月03日<"), "date.format"),
    ("date-chinese", "决定", _in_doc(">2025年6月3日<", ">二〇二五年六月三日<"), "date.format"),
    ("no-red-line", "通知", _in_style("OARedLine", "FF0000", "000000"), "redline.missing"),
    ("urgency-font", "通知", _east_asia_font("OAUrgency", "黑体", "仿宋"), "urgency.font"),
    ("minutes-label", "纪要", _east_asia_font("OAHeiChar", "黑体", "仿宋"), "minutes.labels"),
    ("odd-even-off", "通知", _in_part(SETTINGS, "<w:evenAndOddHeaders/>", ""), "pagenum.evenodd"),
    ("page-dash", "通知", _in_part(FOOTER, "— ", "- "), "pagenum.format"),
    ("no-page-field", "通知", _in_part(FOOTER, " PAGE ", " DATE "), "pagenum.missing"),
    (
        "attachment-punct",
        "通知",
        _in_doc("防汛物资储备表<", "防汛物资储备表。<"),
        "attachment.punct",
    ),
    ("line-pitch", "通知", _in_style("OABody", 'w:line="579"', 'w:line="480"'), "page.lines"),
]


@pytest.mark.parametrize(
    ("kind", "mutate", "rule"), [m[1:] for m in MUTATIONS], ids=[m[0] for m in MUTATIONS]
)
def test_rule_catches_broken_document(kind: str, mutate: Mutation, rule: str) -> None:
    violations = check_docx(mutate(generated(kind)), kind=kind)
    assert rule in {v.rule for v in violations}, violations
    caught = next(v for v in violations if v.rule == rule)
    assert caught.message and caught.location and caught.severity in (ERROR, WARNING)


@pytest.mark.parametrize(
    ("number", "expected"),
    [
        ("江政发〔2025〕7号", set()),
        ("江政发[2025]7号", {"六角括号"}),
        ("江政发〔2025〕007号", {"前导零"}),
        ("江政发〔2025〕第7号", {"第"}),
    ],
)
def test_number_messages_name_the_problem(number: str, expected: set[str]) -> None:
    docx = edit_part(generated("通知"), DOC, "江政发〔2025〕7号", number)
    messages = " ".join(v.message for v in check_docx(docx) if v.rule == "number.format")
    assert all(word in messages for word in expected)
    assert bool(messages) == bool(expected)


def _word_document(path: Path, number: str, copy_to: str) -> None:
    """A document typed in Word: no OA-* styles, formatting set directly on the runs."""
    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = 7560310, 10692130  # A4 in EMU

    def line(text: str, *, size: int = 16, red: bool = False, center: bool = False) -> None:
        paragraph = doc.add_paragraph()
        run = paragraph.add_run(text)
        run.font.size = Pt(size)
        if red:
            run.font.color.rgb = RGBColor(0xFF, 0, 0)
        if center:
            paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER

    line("江城市教育局文件", size=36, red=True, center=True)
    line(number, center=True)
    line("江城市教育局关于开展安全检查的通知", size=22, center=True)
    line("各中小学")
    line("一、检查范围")
    line("（1）教学楼")
    line("江城市教育局")
    line("2025年6月3日")
    line(copy_to)
    doc.save(str(path))


@pytest.mark.parametrize(
    ("number", "copy_to", "expected", "absent"),
    [
        (
            "江教发[2025]3号",
            "抄送：市政府办公室。",
            {"number.format", "recipients.colon"},
            {"copyto.period"},
        ),
        (
            "江教发〔2025〕3号",
            "抄送：市政府办公室",
            {"copyto.period", "heading.order"},
            {"number.format"},
        ),
    ],
)
def test_word_document_without_oa_styles(
    tmp_path: Path, number: str, copy_to: str, expected: set[str], absent: set[str]
) -> None:
    path = tmp_path / "word.docx"
    _word_document(path, number, copy_to)
    rules = {v.rule for v in check_docx(path)}
    assert expected <= rules and not absent & rules, rules
    assert "mark.missing" not in rules and "mark.color" not in rules


def test_not_a_docx_refused(tmp_path: Path) -> None:
    path = tmp_path / "bad.docx"
    path.write_bytes(b"not a zip")
    with pytest.raises(ValidationFailed):
        check_docx(path)
