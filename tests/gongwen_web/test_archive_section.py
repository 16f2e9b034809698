"""The document page's 归档 section: 档号, 保管期限, the 件's items, and 校验 on demand."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import text

from services.archive import service
from services.archive.models import ArchiveRecord
from services.db import db
from tests.archive.helpers import add_file, blank_pdf
from tests.auth.helpers import csrf_token
from tests.convert.helpers import make_docx
from tests.gongwen_web.conftest import Org, make_doc
from tests.workbench.helpers import logged_in

TITLE = "关于做好年度预算执行情况检查工作的通知"


@pytest.fixture
def filed(org: Org) -> ArchiveRecord:
    """An issued 通知 of 市财政局 with every part of its 件, archived."""
    document = make_doc(
        org,
        TITLE,
        status="issued",
        issued_date=date(2025, 3, 5),
        doc_number="市财发〔2025〕4号",
        signer_id=org.director.id,
    )
    add_file(document, "sheet_pdf", "发文稿纸.pdf", blank_pdf())
    add_file(document, "sealed_pdf", "正本.pdf", blank_pdf(2))
    add_file(document, "final_docx", "定稿（第1版）.docx", make_docx(TITLE))
    record = service.archive_document(document.id, actor_id=org.drafter.id, history=[])
    db.session.commit()
    return record


def _verify(client, record: ArchiveRecord):
    path = f"/gongwen/{record.document_id}"
    return client.post(f"{path}/archive/verify", data={"csrf_token": csrf_token(client, path)})


def test_archived_document_shows_code_retention_and_items(client, org, filed) -> None:
    html = logged_in(client, "drafter").get(f"/gongwen/{filed.document_id}").get_data(as_text=True)
    assert f'<dd class="gw-archive-code">{filed.archive_code}</dd>' in html
    assert [item.kind for item in filed.items] == [
        "sheet_pdf",
        "sealed_pdf",
        "final_docx",
        "history_json",
    ]
    for item in filed.items:
        assert item.filename in html and item.sha256 in html
        assert f"{(item.size / 1024):.1f} KB" in html
    for label in ("发文稿纸", "正本（已用印）", "定稿", "流转记录"):
        assert f"<td>{label}</td>" in html
    assert ">校验</button>" in html


def test_retention_is_shown_in_chinese(client, org, filed) -> None:
    html = logged_in(client, "drafter").get(f"/gongwen/{filed.document_id}").get_data(as_text=True)
    words = {"Y": "永久", "D30": "定期30年", "D10": "定期10年"}
    assert f'<dd class="gw-archive-retention">{words[filed.retention]}</dd>' in html


def test_unarchived_document_has_no_archive_section(client, org) -> None:
    document = make_doc(org, "关于报送材料的通知")
    db.session.commit()
    client = logged_in(client, "drafter")
    assert 'class="card gw-archive"' not in client.get(f"/gongwen/{document.id}").get_data(
        as_text=True
    )
    response = client.post(
        f"/gongwen/{document.id}/archive/verify",
        data={"csrf_token": csrf_token(client, f"/gongwen/{document.id}")},
    )
    assert response.status_code == 404
    assert "该公文尚未归档" in response.get_data(as_text=True)


def test_verify_passes_then_catches_a_changed_item(client, org, filed) -> None:
    client = logged_in(client, "drafter")
    response = _verify(client, filed)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert f"校验通过：档号 {filed.archive_code} 的 4 个文件与归档时一致" in html

    sealed = filed.items[1]
    db.session.execute(
        text("UPDATE archive_item SET content = :c WHERE id = :i"),
        {"c": b"%PDF-forged", "i": sealed.id},
    )
    db.session.commit()
    html = _verify(client, filed).get_data(as_text=True)
    assert "校验未通过" in html
    assert "第 2 项“正本.pdf”的内容与归档时的摘要不符" in html


def test_verify_needs_the_document_page_permission(client, org, filed) -> None:
    client = logged_in(client, "outsider")
    response = client.post(
        f"/gongwen/{filed.document_id}/archive/verify",
        data={"csrf_token": csrf_token(client, "/gongwen/outgoing")},
    )
    assert response.status_code == 403
    assert filed.archive_code not in response.get_data(as_text=True)
