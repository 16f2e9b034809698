"""Where text and horizontal rules land in a LibreOffice PDF (pypdf only), in mm from the top."""

from __future__ import annotations

import io
from dataclasses import dataclass

from pypdf import PdfReader
from pypdf.generic import ContentStream

PT_TO_MM = 25.4 / 72


@dataclass(frozen=True)
class Placed:
    """A text run or a rule on page ``page`` (1-based), ``y`` mm below the top edge."""

    page: int
    y: float
    text: str = ""


def text_runs(pdf: bytes) -> list[Placed]:
    """Every non-blank text run with its baseline."""
    reader = PdfReader(io.BytesIO(pdf))
    placed: list[Placed] = []
    for number, page in enumerate(reader.pages, 1):
        height = float(page.mediabox.height)

        def visit(text, cm, tm, font, size, number=number, height=height):  # type: ignore[no-untyped-def]
            if text.strip():
                y = tm[5] * cm[3] + cm[5]
                placed.append(Placed(number, (height - y) * PT_TO_MM, text.strip()))

        page.extract_text(visitor_text=visit)
    return placed


def horizontal_rules(pdf: bytes, min_length_mm: float = 100) -> list[Placed]:
    """Straight horizontal lines at least ``min_length_mm`` long (LibreOffice draws borders
    as ``m``/``l`` pairs in page coordinates)."""
    reader = PdfReader(io.BytesIO(pdf))
    rules: list[Placed] = []
    for number, page in enumerate(reader.pages, 1):
        height = float(page.mediabox.height)
        start: tuple[float, float] | None = None
        for operands, operator in ContentStream(page.get_contents(), reader).operations:
            if operator == b"m":
                start = (float(operands[0]), float(operands[1]))
            elif operator == b"l" and start is not None:
                x, y = float(operands[0]), float(operands[1])
                if abs(y - start[1]) < 0.1 and abs(x - start[0]) * PT_TO_MM >= min_length_mm:
                    rules.append(Placed(number, (height - y) * PT_TO_MM))
                start = None
    return rules


def page_count(pdf: bytes) -> int:
    """Number of pages."""
    return len(PdfReader(io.BytesIO(pdf)).pages)
