"""发文稿纸: the .docx carries the elements and the signed opinions, the PDF converts."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator

import docx
import pytest
from flask import Flask
from pypdf import PdfReader
from sqlalchemy import select

from services.convert import libreoffice
from services.db import db
from services.errors import ValidationFailed
from services.gongwen import sheet
from services.gongwen.models import DocumentFile
from services.gongwen.sheet import SheetOpinion
from tests.gongwen.sheet_helpers import make_outgoing, sample_opinions, signature_png


@pytest.fixture(scope="module", autouse=True)
def _stop_converters() -> Iterator[None]:
    yield
    libreoffice.shutdown()  # no soffice left behind by this module


def _table_text(data: bytes) -> dict[str, str]:
    """Label -> text of the cell next to it, for every row of the sheet's table."""
    table = docx.Document(io.BytesIO(data)).tables[0]
    found: dict[str, str] = {}
    for row in table.rows:
        cells = row.cells
        for index in range(0, len(cells) - 1, 2):
            found.setdefault(cells[index].text, cells[index + 1].text)
    return found


def _pdf_text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return "".join("".join((page.extract_text() or "").split()) for page in reader.pages)


def test_docx_has_elements_and_opinions(app: Flask) -> None:
    document = make_outgoing(secrecy="秘密", secrecy_term="1年")
    rows = _table_text(sheet.render_docx(document, sample_opinions()))
    assert rows["标题"] == document.title
    assert rows["文号"] == "江教发〔2025〕7号"
    assert rows["密级"] == "秘密★1年"
    assert rows["紧急程度"] == "加急"
    assert rows["份数"] == "30"
    assert rows["主送"] == "各县（市、区）教育局"
    assert rows["抄送"] == "市政府办公室"
    assert rows["附件"] == "开学工作检查表"
    assert rows["拟稿单位"] == "基础教育科" and rows["拟稿人"] == "曹娜"
    assert "同意印发。" in rows["签发"]
    assert "杜俊娜（市教育局，局长）　2025年3月5日 14:30" in rows["签发"]
    assert "无意见，同意会签。" in rows["会签"] and "王强" in rows["会签"]
    assert "文字已核，格式规范。" in rows["核稿"]
    assert "请办公室核稿。" in rows["审核"]
    assert "依据省厅通知起草。" in rows["拟稿说明"]


def test_docx_embeds_signature_image_and_chinese_fonts(app: Flask) -> None:
    data = sheet.render_docx(make_outgoing(), sample_opinions())
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        media = [n for n in archive.namelist() if n.startswith("word/media/")]
        xml = archive.read("word/document.xml").decode()
    assert len(media) == 1
    assert 'w:eastAsia="楷体_GB2312"' in xml and 'w:eastAsia="黑体"' in xml
    assert len(docx.Document(io.BytesIO(data)).inline_shapes) == 1


def test_blank_sheet_prints_empty_boxes(app: Flask) -> None:
    rows = _table_text(sheet.render_docx(make_outgoing(doc_number=None, copies=0), []))
    assert rows["签发"] == rows["会签"] == rows["核稿"] == ""
    assert rows["文号"] == "" and rows["紧急程度"] == "加急"
    assert "拟稿说明" not in rows


def test_opinions_from_form_entries(app: Flask) -> None:
    entries = [
        {
            "text": "同意。",
            "user_id": 7,
            "user_name": "杨琳",
            "position": "分管领导",
            "unit": "市教育局",
            "time": "2025-03-05T06:30:00+00:00",
            "signature": "sig-7",
        },
        {"text": "拟同意。", "user_name": "叶萍", "time": None, "signature": None},
    ]
    loaded: list[str] = []

    def load(ref: str) -> bytes:
        loaded.append(ref)
        return signature_png()

    first, second = sheet.opinions_from_entries("sign", entries, load)
    assert loaded == ["sig-7"]
    assert (first.step, first.name, first.position, first.unit) == (
        "sign",
        "杨琳",
        "分管领导",
        "市教育局",
    )
    assert first.at is not None and first.at.hour == 6 and first.signature_png
    assert second.at is None and second.signature_png is None


@pytest.mark.parametrize("step", ["approve", ""])
def test_unknown_step_refused(app: Flask, step: str) -> None:
    with pytest.raises(ValidationFailed, match="稿纸中没有"):
        sheet.render_docx(make_outgoing(), [SheetOpinion(step, "同意", "杨琳")])


def test_bad_signature_image_refused(app: Flask) -> None:
    bad = SheetOpinion("sign", "同意", "杨琳", signature_png=b"not an image")
    with pytest.raises(ValidationFailed, match="签名图片"):
        sheet.render_docx(make_outgoing(), [bad])


def test_store_sheet_converts_and_replaces(app: Flask) -> None:
    document = make_outgoing()
    sheet.store_sheet(document.id, sample_opinions()[2:], actor_id=document.drafter_id)
    docx_file, pdf_file = sheet.store_sheet(document.id, sample_opinions(), actor_id=None)
    stored = db.session.scalars(
        select(DocumentFile).where(DocumentFile.document_id == document.id)
    ).all()
    assert sorted(f.kind for f in stored) == ["sheet_docx", "sheet_pdf"]
    assert pdf_file.content.startswith(b"%PDF-") and pdf_file.filename == "发文稿纸.pdf"
    assert docx_file.size == len(docx_file.content)
    text = _pdf_text(pdf_file.content)
    assert "".join(document.title.split()) in text
    assert "同意印发。" in text and "文字已核，格式规范。" in text
    assert "江城市教育局发文稿纸" in text


def test_unsigned_remark_has_no_signer_line(app: Flask) -> None:
    remark = SheetOpinion("draft", "依据省厅通知起草。", name="")
    data = sheet.render_docx(make_outgoing(), [remark])
    table = docx.Document(io.BytesIO(data)).tables[0]
    cell = table.rows[-1].cells[1]
    assert [p.text for p in cell.paragraphs] == ["依据省厅通知起草。"]
