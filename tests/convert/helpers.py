"""Building small .docx files for conversion and sealing tests."""

from __future__ import annotations

import io

import docx


def make_docx(*paragraphs: str) -> bytes:
    """A .docx with one paragraph per argument (python-docx's default template)."""
    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def pdf_text(pdf_bytes: bytes) -> str:
    """All text pypdf extracts from ``pdf_bytes``, without whitespace (CJK has none anyway)."""
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(pdf_bytes))
    return "".join("".join((page.extract_text() or "").split()) for page in reader.pages)
