"""The 发文 page: permission, files, 正文 versions (edit, upload, view, download), comparison."""

from __future__ import annotations

import hashlib
import io
import re
import zipfile

import docx
import pytest

from engine import api
from engine.definitions import repository
from services.db import db
from services.gongwen import versions
from services.gongwen.models import DocumentFile, GongwenDocument
from tests.auth.helpers import csrf_token
from tests.gongwen_web.conftest import Org, make_doc
from tests.workbench.conftest import PROCESSES
from tests.workbench.helpers import logged_in


@pytest.fixture
def draft(org: Org) -> GongwenDocument:
    """A draft without a process, with two 正文 versions and a sealed PDF."""
    document = make_doc(org, "关于开展预算绩效评价的通知")
    versions.save_html_version(
        document.id, "<h1>总体要求</h1><p>各单位要高度重视。</p>", author_id=org.drafter.id
    )
    versions.save_html_version(
        document.id,
        "<h1>总体要求</h1><p>各单位要高度重视，认真组织。</p>",
        author_id=org.drafter.id,
        comment="补充要求",
    )
    _attach(document, "sealed_pdf", "盖章版.pdf", b"%PDF-1.7 sealed")
    db.session.commit()
    return document


def _attach(document: GongwenDocument, kind: str, name: str, content: bytes) -> DocumentFile:
    stored = DocumentFile(
        document_id=document.id,
        kind=kind,
        filename=name,
        content=content,
        sha256=hashlib.sha256(content).hexdigest(),
        size=len(content),
    )
    db.session.add(stored)
    db.session.flush()
    return stored


def _docx(*paragraphs: str) -> bytes:
    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


@pytest.mark.parametrize(
    ("username", "status"),
    [("drafter", 200), ("director", 200), ("colleague", 403), ("outsider", 403)],
)
def test_page_permission(client, org, draft, username, status):
    logged_in(client, username)
    response = client.get(f"/gongwen/{draft.id}")
    assert response.status_code == status
    if status == 200:
        page = response.get_data(as_text=True)
        assert "关于开展预算绩效评价的通知" in page and "第 2 版" in page and "补充要求" in page
        assert "张拟稿" in page and "盖章版（PDF）" in page
    else:
        assert "您无权查看该公文" in response.get_data(as_text=True)


def test_guessed_ids_get_the_same_answer(client, org, draft):
    logged_in(client, "outsider")
    unknown = client.get("/gongwen/999999")
    assert unknown.status_code == 403 and "您无权查看该公文" in unknown.get_data(as_text=True)
    version = versions.latest_version(draft.id)
    for path in (
        f"/gongwen/{draft.id}/versions/{version.id}",
        f"/gongwen/{draft.id}/versions/{version.id}/docx",
        f"/gongwen/{draft.id}/compare?a={version.id}&b={version.id}",
        f"/gongwen/{draft.id}/body/edit",
    ):
        assert client.get(path).status_code == 403, path


def test_file_download_checks_document(client, org, draft):
    other = make_doc(org, "另一件", drafter=org.colleague)
    foreign = _attach(other, "redhead_docx", "套红.docx", b"PK other")
    db.session.commit()
    own = db.session.query(DocumentFile).filter_by(document_id=draft.id).one()
    logged_in(client, "drafter")
    response = client.get(f"/gongwen/{draft.id}/files/{own.id}")
    assert response.status_code == 200 and response.data == b"%PDF-1.7 sealed"
    assert response.mimetype == "application/pdf"
    # Another document's file through a document the user may see: not found.
    assert client.get(f"/gongwen/{draft.id}/files/{foreign.id}").status_code == 404
    assert client.get(f"/gongwen/{other.id}/files/{foreign.id}").status_code == 403


def test_edit_in_browser_creates_a_version(client, org, draft):
    logged_in(client, "drafter")
    edit = client.get(f"/gongwen/{draft.id}/body/edit")
    assert edit.status_code == 200 and "各单位要高度重视，认真组织。" in edit.get_data(as_text=True)
    html = '<h1>总体要求</h1><h2>工作目标</h2><p onclick="x()">内容<script>alert(1)</script></p>'
    token = csrf_token(client, f"/gongwen/{draft.id}/body/edit")
    response = client.post(
        f"/gongwen/{draft.id}/body", data={"html": html, "comment": "第三稿", "csrf_token": token}
    )
    assert response.status_code == 302
    latest = versions.latest_version(draft.id)
    assert latest.number == 3 and latest.author_id == org.drafter.id and latest.comment == "第三稿"
    assert "script" not in latest.html and "onclick" not in latest.html
    view = client.get(f"/gongwen/{draft.id}/versions/{latest.id}").get_data(as_text=True)
    assert "一、总体要求" in view and "（一）工作目标" in view and "alert" not in view


def test_empty_body_is_refused_in_chinese(client, org, draft):
    logged_in(client, "drafter")
    response = client.post(
        f"/gongwen/{draft.id}/body",
        data={
            "html": "<p> </p>",
            "csrf_token": csrf_token(client, f"/gongwen/{draft.id}/body/edit"),
        },
    )
    assert response.status_code == 422 and "正文不能为空" in response.get_data(as_text=True)
    assert versions.latest_version(draft.id).number == 2


def test_only_the_holder_may_edit(client, org, draft):
    logged_in(client, "director")  # may see the whole unit, but holds nothing
    assert client.get(f"/gongwen/{draft.id}/body/edit").status_code == 403
    page = client.get(f"/gongwen/{draft.id}").get_data(as_text=True)
    assert "在线编辑正文" not in page


def test_holder_of_the_open_task_may_edit(client, org):
    repository.deploy({"qingjia.bpmn": (PROCESSES / "qingjia.bpmn").read_bytes()}, deployed_by=None)
    instance = api.start_instance("qingjia", starter_id=org.colleague.id, data={})
    document = make_doc(org, "流程中的文", instance_id=instance.id)
    db.session.commit()
    logged_in(client, "colleague")  # holds the first task of the instance
    assert client.get(f"/gongwen/{document.id}/body/edit").status_code == 200
    client.post("/logout", data={"csrf_token": csrf_token(client, "/gongwen/outgoing")})
    logged_in(client, "drafter")  # drafted it, but the process has it elsewhere
    assert client.get(f"/gongwen/{document.id}/body/edit").status_code == 403


def test_upload_docx_version_and_download(client, org, draft):
    logged_in(client, "drafter")
    token = csrf_token(client, f"/gongwen/{draft.id}")
    content = _docx("一、总体要求", "各单位要高度重视，认真组织实施。")
    response = client.post(
        f"/gongwen/{draft.id}/body/upload",
        data={"file": (io.BytesIO(content), "正文.docx"), "csrf_token": token},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    latest = versions.latest_version(draft.id)
    assert latest.kind == "docx" and latest.number == 3
    download = client.get(f"/gongwen/{draft.id}/versions/{latest.id}/docx")
    assert download.status_code == 200 and download.data == content
    first = versions.versions(draft.id)[0]
    html_download = client.get(f"/gongwen/{draft.id}/versions/{first.id}/docx")
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(html_download.data)).paragraphs)
    assert "各单位要高度重视。" in text


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("正文.txt", b"plain text", "只能上传 Word 文档（.docx）"),
        ("正文.docx", b"not a zip", "不是有效的 Word 文档（.docx）"),
        ("", b"", "请选择要上传的 Word 文档（.docx）"),
    ],
)
def test_upload_validation_error_in_chinese(client, org, draft, name, content, message):
    logged_in(client, "drafter")
    response = client.post(
        f"/gongwen/{draft.id}/body/upload",
        data={
            "file": (io.BytesIO(content), name),
            "csrf_token": csrf_token(client, f"/gongwen/{draft.id}"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in page and "gw-upload-error" in page and "关于开展预算绩效评价的通知" in page
    assert versions.latest_version(draft.id).number == 2


def test_compare_two_versions(client, org, draft):
    first, second = versions.versions(draft.id)
    logged_in(client, "director")  # readers may compare without editing
    page = client.get(f"/gongwen/{draft.id}/compare?a={second.id}&b={first.id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "第 1 版与第 2 版比较" in html  # older first whatever the order asked
    assert re.search(r"<ins>[^<]*认真组织[^<]*</ins>", html)
    revision = client.get(f"/gongwen/{draft.id}/compare/docx?a={first.id}&b={second.id}")
    assert revision.status_code == 200
    with zipfile.ZipFile(io.BytesIO(revision.data)) as archive:
        xml = archive.read("word/document.xml").decode()
    assert "<w:ins " in xml and "认真组织" in xml


def test_compare_needs_two_versions_of_this_document(client, org, draft):
    other = make_doc(org, "另一件")
    versions.save_html_version(other.id, "<p>别的</p>", author_id=org.drafter.id)
    db.session.commit()
    first = versions.versions(draft.id)[0]
    foreign = versions.versions(other.id)[0]
    logged_in(client, "drafter")
    assert client.get(f"/gongwen/{draft.id}/compare?a={first.id}&b={foreign.id}").status_code == 404
    missing = client.get(f"/gongwen/{draft.id}/compare?a={first.id}")
    assert missing.status_code == 422 and "请选择要比较的两个版本" in missing.get_data(as_text=True)
