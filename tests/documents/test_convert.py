"""A generated document converts to PDF with LibreOffice and the CJK fonts mapped by fontconfig."""

from __future__ import annotations

import io

from pypdf import PdfReader

from services.documents import redhead
from services.documents.convert import docx_to_pdf
from services.documents.samples import sample_document


def test_generated_document_converts_to_pdf_with_number_text() -> None:
    doc = sample_document("函")
    pdf = docx_to_pdf(redhead.render(doc))
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) >= 1
    # pypdf puts spaces between CJK and Latin runs; compare without them.
    first_page = reader.pages[0].extract_text().replace(" ", "")
    assert doc.number in first_page
    assert "江城市人民政府" in first_page
