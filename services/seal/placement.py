"""Where a seal goes on a document: over the 署名 and the 成文日期 (GB/T 9704-2012 §7.3.5).

The standard puts the seal "端正、居中下压发文机关署名和成文日期", with both lines in the lower
half of the seal. Given the 成文日期 text, ``placement_over_date`` finds its line on the page
(pypdf text extraction) and centres the seal horizontally on it, a line and a half above it.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass

from pypdf import PdfReader
from pypdf.errors import PdfReadError

from services.errors import NotFound
from services.seal.provider import SealPlacement

# 三号 text on the GB/T 9704 grid: 22 lines per page, about 29 pt apart.
LINE_PITCH_PT = 29.0
CJK_START = 0x2E80


@dataclass(frozen=True)
class TextLine:
    """A run of text on a page with its baseline start and its width (PDF points)."""

    text: str
    x: float
    y: float
    width: float


def placement_over_date(pdf_bytes: bytes, date_text: str) -> SealPlacement:
    """The placement centred on the last line containing ``date_text`` (e.g. "2025年3月3日")."""
    reader = _reader(pdf_bytes)
    for index in range(len(reader.pages) - 1, -1, -1):
        lines = [line for line in _lines(reader, index) if date_text in line.text]
        if lines:
            line = min(lines, key=lambda candidate: candidate.y)
            return SealPlacement(
                center_x=line.x + line.width / 2,
                center_y=line.y + 1.5 * LINE_PITCH_PT,
                page=index,
            )
    raise NotFound(f"文件中找不到成文日期“{date_text}”，无法确定用印位置")


def text_lines(pdf_bytes: bytes, page: int) -> list[TextLine]:
    """The text lines of ``page`` with positions, top to bottom."""
    return _lines(_reader(pdf_bytes), page)


def _reader(pdf_bytes: bytes) -> PdfReader:
    try:
        return PdfReader(io.BytesIO(pdf_bytes))
    except PdfReadError as exc:
        raise NotFound("文件不是有效的 PDF") from exc


def _lines(reader: PdfReader, index: int) -> list[TextLine]:
    runs: list[TextLine] = []

    def visit(text: str, cm: list[float], tm: list[float], _font: object, size: float) -> None:
        if text.strip():
            runs.append(_run(text.strip(), cm, tm, size))

    reader.pages[index].extract_text(visitor_text=visit)
    return _merge_runs(runs)


def _run(text: str, cm: list[float], tm: list[float], size: float) -> TextLine:
    # Text space -> user space through the current transformation matrix.
    x = cm[0] * tm[4] + cm[2] * tm[5] + cm[4]
    y = cm[1] * tm[4] + cm[3] * tm[5] + cm[5]
    em = size * math.hypot(tm[0], tm[1]) * math.hypot(cm[0], cm[1])
    # Estimated advance: CJK glyphs are one em wide, Latin digits and letters about half.
    width = sum(em if ord(char) >= CJK_START else em * 0.55 for char in text)
    return TextLine(text, x, y, width)


def _merge_runs(runs: list[TextLine]) -> list[TextLine]:
    # LibreOffice may emit a line as several runs; join runs that share a baseline.
    merged: list[TextLine] = []
    for run in sorted(runs, key=lambda r: (-round(r.y), r.x)):
        last = merged[-1] if merged else None
        if last is not None and round(last.y) == round(run.y):
            end = max(last.x + last.width, run.x + run.width)
            merged[-1] = TextLine(last.text + run.text, last.x, last.y, end - last.x)
        else:
            merged.append(run)
    return merged
