"""收文处理单: rendered at 归档 with the 登记 elements, the opinions (who, when), the 承办
result and the 传阅 record, kept as .docx and PDF with the received document."""

from __future__ import annotations

import io

import docx
from pypdf import PdfReader
from sqlalchemy import select

from engine import api
from engine.runtime.circulation_models import CirculationItem
from services.db import db
from services.gongwen import exchange
from services.gongwen.exchange_models import IncomingRecord
from services.gongwen.models import DocumentFile
from tests.auth.helpers import login
from tests.gongwen.fawen_helpers import PASSWORD
from tests.shouwen.helpers import departments, do, head, leader, office_director
from tests.shouwen.helpers import registrar as registrar_of
from tests.shouwen.test_process import deliver, sign_and_register

TITLE = "江城市教育局关于做好秋季开学工作的通知"


def handle_to_the_end(city, clock) -> dict:
    """One 收文 of 市财政局 through 拟办 -> 批示 -> 主办 + 协办 -> 传阅 (one reader reads) ->
    办结 -> 归档, an hour apart each; returns who did what."""
    czj = city.units["czj"]
    deliver(city, ["czj"])
    instance_id = sign_and_register(czj)
    director, boss = office_director(czj), leader(czj)
    host, co, *_ = departments(czj)
    reader, late_reader = registrar_of(czj), head(co)
    do(instance_id, director, "初审", {"review_accept": True})
    clock.advance(hours=1)  # 10:00 Beijing time
    do(instance_id, director, "拟办", {"proposal": "建议由业务科室主办"})
    clock.advance(hours=1, minutes=30)  # 11:30
    instruction = {
        "instruction": "同意，请抓紧落实",
        "host_department": host.id,
        "co_departments": [co.id],
        "readers": [reader.id, late_reader.id],
    }
    do(instance_id, boss, "领导批示", instruction)
    clock.advance(hours=1)  # 12:30
    (item,) = db.session.scalars(
        select(CirculationItem).where(
            CirculationItem.instance_id == instance_id, CirculationItem.reader_id == reader.id
        )
    )
    api.read_item([item.id], reader_id=reader.id, comment="已阅知")
    db.session.commit()
    do(instance_id, head(co), "协办部门办理", {"co_feedback": "已配合提供数据"})
    do(instance_id, head(host), "主办部门办理", {"host_feedback": "已按要求布置落实"})
    clock.advance(hours=1)  # 13:30
    do(instance_id, director, "办结", {"result": "已全部落实", "reply": "我局已完成部署"})
    do(instance_id, registrar_of(czj), "归档", {"archive_confirm": True})
    return {
        "instance_id": instance_id,
        "record": archived_record(instance_id),
        "director": director,
        "boss": boss,
        "host_head": head(host),
        "co_head": head(co),
        "reader": reader,
        "late_reader": late_reader,
    }


def archived_record(instance_id: int) -> IncomingRecord:
    record = exchange.record_for_instance(instance_id)
    assert record is not None
    db.session.refresh(record)
    return record


def sheet_file(document_id: int, kind: str) -> DocumentFile:
    (found,) = db.session.scalars(
        select(DocumentFile).where(
            DocumentFile.document_id == document_id, DocumentFile.kind == kind
        )
    )
    return found


def docx_text(content: bytes) -> str:
    document = docx.Document(io.BytesIO(content))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.extend(cell.text for cell in row.cells)
    return "\n".join(parts)


def test_archived_shouwen_has_its_processing_sheet_filed(city, frozen_clock) -> None:
    done = handle_to_the_end(city, frozen_clock)
    record = done["record"]
    assert record.archived_at is not None
    assert api.get_instance(done["instance_id"]).status == "completed"
    sheet_docx = sheet_file(record.document_id, "sheet_docx")
    sheet_pdf = sheet_file(record.document_id, "sheet_pdf")
    assert sheet_docx.filename == "收文处理单.docx" and sheet_pdf.filename == "收文处理单.pdf"
    # The received sealed copy stays with it: 处理单 + 文件 of the same 收文.
    kinds = set(
        db.session.scalars(
            select(DocumentFile.kind).where(DocumentFile.document_id == record.document_id)
        )
    )
    assert {"sealed_pdf", "sheet_docx", "sheet_pdf"} <= kinds
    # Replay still agrees: the sheet is a side effect of the recorded 归档 step.
    report = api.replay_instance(done["instance_id"])
    assert report.ok, (report.message, report.divergence)


def test_sheet_shows_elements_opinions_result_and_readings(city, frozen_clock) -> None:
    done = handle_to_the_end(city, frozen_clock)
    record = done["record"]
    text = docx_text(sheet_file(record.document_id, "sheet_docx").content)
    assert f"{city.units['czj'].name}收文处理单" in text
    assert record.receipt_number and record.receipt_number in text
    for expected in ("江城市教育局", "江教发〔2025〕9号", TITLE):
        assert expected in text
    # Opinions with the name of who gave them and when (Beijing time).
    assert "建议由业务科室主办" in text and "2025年3月3日 10:00" in text
    assert done["director"].name in text
    assert "同意，请抓紧落实" in text and "2025年3月3日 11:30" in text
    assert done["boss"].name in text
    assert "已按要求布置落实" in text and done["host_head"].name in text
    assert "已配合提供数据" in text and done["co_head"].name in text
    # The 承办 result and the 答复.
    assert "已全部落实" in text and "2025年3月3日 13:30" in text
    assert "我局已完成部署" in text
    # 传阅: one reader has read it (with the time and remark), the other not yet.
    assert f"{done['reader'].name}　已阅　2025年3月3日 12:30　已阅知" in text
    assert f"{done['late_reader'].name}　未阅" in text


def test_sheet_pdf_has_title_and_an_opinion(city, frozen_clock) -> None:
    done = handle_to_the_end(city, frozen_clock)
    pdf = sheet_file(done["record"].document_id, "sheet_pdf").content
    assert pdf.startswith(b"%PDF")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    compact = "".join(text.split())
    assert TITLE in compact
    assert "同意，请抓紧落实" in compact


def test_record_page_links_the_processing_sheet(city, frozen_clock, client) -> None:
    done = handle_to_the_end(city, frozen_clock)
    record = done["record"]
    pdf = sheet_file(record.document_id, "sheet_pdf")
    response = login(client, registrar_of(city.units["czj"]).username, PASSWORD)
    assert response.status_code == 302
    page = client.get(f"/shouwen/{record.id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "收文处理单" in html
    link = f"/shouwen/{record.id}/files/{pdf.id}"
    assert link in html
    download = client.get(link)
    assert download.status_code == 200 and download.data == pdf.content
