"""The 版记 sits at the foot of the last page in LibreOffice's PDF: its last line on the bottom
edge of the type area (A4 297 mm, bottom margin 35 mm, so 262 mm from the top)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from services.documents import redhead
from services.documents.convert import docx_to_pdf
from services.documents.model import BodyParagraph, OfficialDocument
from services.documents.samples import sample_document
from tests.documents.pdf_layout import horizontal_rules, page_count, text_runs

TYPE_AREA_BOTTOM_MM = 297 - 35
TOLERANCE_MM = 2.0
FILLER = BodyParagraph("各地要严格落实防汛值班制度，确保信息畅通，发现险情及时处置并报告。" * 3)


def _short(kind: str) -> OfficialDocument:
    doc = sample_document(kind)
    return replace(doc, body=doc.body[:1], attachments=[], note="")


def _long(kind: str) -> OfficialDocument:
    doc = sample_document(kind)
    return replace(doc, body=doc.body + [FILLER] * 4)


@pytest.mark.parametrize(
    ("build", "kind", "pages"),
    [(_short, "通知", 1), (_long, "通知", 3), (_short, "函", 1), (_long, "请示", 3)],
)
def test_banji_on_the_bottom_edge_of_the_last_page(build, kind: str, pages: int) -> None:  # type: ignore[no-untyped-def]
    pdf = docx_to_pdf(redhead.render(build(kind)))
    assert page_count(pdf) == pages
    rows = 1 if kind == "函" else 2  # 信函: 抄送 only, no 印发机关和印发日期
    rules = [r.y for r in horizontal_rules(pdf) if r.page == pages][-(rows + 1) :]
    assert len(rules) == rows + 1
    # The last 版记 line lies on the bottom edge of the type area.
    assert abs(rules[-1] - TYPE_AREA_BOTTOM_MM) < TOLERANCE_MM
    runs = text_runs(pdf)
    last = "日印发" if rows == 2 else "抄送："
    last_line = [r for r in runs if r.text.startswith(last) or r.text.endswith(last)]
    assert [r.page for r in last_line] == [pages]
    # Its baseline is inside the last row, within one 4号 line above the bottom edge.
    assert rules[-2] < last_line[0].y < TYPE_AREA_BOTTOM_MM
    assert TYPE_AREA_BOTTOM_MM - last_line[0].y < 6
    # The body ends above the 版记 (baselines at least 3 mm above its first line).
    body = [r.y for r in runs if r.page == pages and r.y < rules[0]]
    assert body and max(body) < rules[0] - 3
    assert not [
        r
        for r in runs
        if r.page == pages
        and r.y > TYPE_AREA_BOTTOM_MM + 1
        and "—" not in r.text
        and not r.text.isdigit()
    ]
