"""The red-header generator: every 文种 passes the checker, with GB/T 9704 page, fonts, lines."""

from __future__ import annotations

import statistics
import time
from dataclasses import replace

import pytest

from services.documents import docx_view, redhead
from services.documents.format_check import check_docx
from services.documents.model import BodyParagraph
from services.documents.samples import SAMPLE_KINDS, sample_document
from services.errors import ValidationFailed
from tests.documents.docx_edit import part_text


@pytest.mark.parametrize("kind", SAMPLE_KINDS)
def test_every_kind_passes_the_checker(kind: str) -> None:
    docx = redhead.render(sample_document(kind))
    assert check_docx(docx, kind=kind) == []
    assert check_docx(docx) == []  # the 文种 inferred from the 标题 too


@pytest.mark.parametrize("kind", SAMPLE_KINDS)
def test_geometry_fonts_and_footers(kind: str) -> None:
    docx = redhead.render(sample_document(kind))
    document = part_text(docx, "word/document.xml")
    styles = part_text(docx, "word/styles.xml")
    assert '<w:pgSz w:w="11906" w:h="16838"/>' in document
    assert 'w:top="2098"' in document and 'w:left="1587"' in document
    assert sample_document(kind).number in document
    for font in ("仿宋_GB2312", "方正小标宋简体", "黑体", "楷体_GB2312"):
        assert f'w:eastAsia="{font}"' in styles
    assert "<w:evenAndOddHeaders/>" in part_text(docx, "word/settings.xml")
    assert "主题词" not in document


def test_upward_document_carries_signer_in_kaiti() -> None:
    document = part_text(redhead.render(sample_document("请示")), "word/document.xml")
    assert "签发人：" in document
    assert '<w:rStyle w:val="OAKaiChar"/></w:rPr><w:t xml:space="preserve">王志强' in document


def test_letter_mark_in_first_page_header_without_page_number() -> None:
    view = docx_view.load(redhead.render(sample_document("函")))
    marks = [p for p in view.header_paragraphs if p.style_name == "OA-发文机关标志"]
    assert [p.text for p in marks] == ["江城市人民政府"]
    assert view.title_page and view.red_rules >= 1
    first = [f for f in view.footers if f.kind == "first"]
    assert first and not first[0].has_page_field


def test_joint_document_has_one_mark_line_per_organ() -> None:
    doc = replace(
        sample_document("通知"),
        issuers=["江城市教育局", "江城市财政局"],
        signature="",
    )
    docx = redhead.render(doc)
    assert check_docx(docx) == []
    document = part_text(docx, "word/document.xml")
    assert "江城市教育局</w:t>" in document and "江城市财政局文件</w:t>" in document


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"kind": "请示", "signers": []}, "signers"),
        ({"issuers": []}, "issuers"),
        ({"body": [BodyParagraph("一", 1), BodyParagraph("跳级", 3)]}, "body"),
    ],
)
def test_incomplete_documents_refused(change: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationFailed) as info:
        redhead.render(replace(sample_document("通知"), **change))  # type: ignore[arg-type]
    assert field in info.value.errors


@pytest.mark.parametrize(
    ("level", "number", "prefix"),
    [
        (1, 1, "一、"),
        (1, 11, "十一、"),
        (1, 23, "二十三、"),
        (2, 2, "（二）"),
        (3, 3, "3."),
        (4, 4, "（4）"),
    ],
)
def test_heading_prefixes(level: int, number: int, prefix: str) -> None:
    assert redhead.heading_prefix(level, number) == prefix


def test_lower_heading_counters_restart() -> None:
    body = [
        BodyParagraph("甲", 1),
        BodyParagraph("子", 2),
        BodyParagraph("乙", 1),
        BodyParagraph("丑", 2),
    ]
    texts = [p.runs[0].text for p in redhead.body_paragraphs(body)]
    assert texts == ["一、甲", "（一）子", "二、乙", "（一）丑"]


def test_render_time_budget() -> None:
    """Target ≤ 100 ms per document; the assertion leaves room for a loaded CI machine."""
    doc = sample_document("通知")
    redhead.render(doc)
    timings = []
    for _ in range(10):
        start = time.perf_counter()
        redhead.render(doc)
        timings.append(time.perf_counter() - start)
    assert statistics.median(timings) < 0.3
