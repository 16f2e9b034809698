"""The seal is placed over the 署名 and 成文日期, both in the lower half of the seal."""

from __future__ import annotations

import io

import docx
import pytest
from docx.enum.text import WD_ALIGN_PARAGRAPH
from pypdf import PdfReader

from services.convert.libreoffice import WarmConverter
from services.errors import NotFound
from services.seal.placement import placement_over_date, text_lines


def _signed_off_docx(body_paragraphs: int, date: str) -> bytes:
    document = docx.Document()
    document.add_paragraph("宁江市教育局关于开展校园安全检查的通知")
    for _ in range(body_paragraphs):
        document.add_paragraph("各学校：现将有关事项通知如下，请认真贯彻执行。" * 3)
    for text in ("宁江市教育局", date):
        document.add_paragraph(text).alignment = WD_ALIGN_PARAGRAPH.RIGHT
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


@pytest.mark.parametrize(
    ("body_paragraphs", "date"),
    [(2, "2025年3月3日"), (12, "2025年12月31日"), (40, "2025年6月18日")],
)
def test_seal_covers_signature_and_date(
    warm_converter: WarmConverter, body_paragraphs: int, date: str
) -> None:
    pdf = warm_converter.convert(_signed_off_docx(body_paragraphs, date))
    placement = placement_over_date(pdf, date)
    page = len(PdfReader(io.BytesIO(pdf)).pages) - 1
    assert placement.page == page
    assert (page > 0) is (body_paragraphs > 20)
    x1, y1, x2, _ = placement.box
    lines = {line.text: line for line in text_lines(pdf, page)}
    for text in ("宁江市教育局", date):
        line = lines[text]
        assert x1 < line.x and line.x + line.width < x2, text
        # In the lower half of the seal, as GB/T 9704 asks.
        assert y1 < line.y < placement.center_y, text


def test_missing_date_is_reported(warm_converter: WarmConverter) -> None:
    pdf = warm_converter.convert(_signed_off_docx(1, "2025年3月3日"))
    with pytest.raises(NotFound, match="2026年1月1日"):
        placement_over_date(pdf, "2026年1月1日")
