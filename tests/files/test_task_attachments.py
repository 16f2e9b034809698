"""Attachments of a task's form: stored with the completion (or not at all), listed on the task
and instance pages, downloadable by those who may see the instance and by nobody else."""

from __future__ import annotations

from io import BytesIO
from urllib.parse import quote

import lxml.html
import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.test import EnvironBuilder, TestResponse

from engine import api
from services.db import db
from services.files.models import StoredFile
from tests.auth.helpers import csrf_token
from tests.files.helpers import EXE, PDF
from tests.workbench.conftest import Office, office  # noqa: F401  (the fixture)
from tests.workbench.helpers import APPLY, logged_in, open_task_of, start_qingjia

PROOF_NAME = "病假证明 2026.pdf"


def post_with_files(client: FlaskClient, path: str, files: dict[str, tuple[bytes, str]]):
    """POST the task form with uploads; the request body is closed afterwards (big bodies
    spool to a temporary file)."""
    body: dict[str, object] = {**APPLY, "csrf_token": csrf_token(client, path)}
    body.update({k: (BytesIO(content), name) for k, (content, name) in files.items()})
    builder = EnvironBuilder(path, method="POST", data=body)
    environ = builder.get_environ()
    try:
        return client.open(environ)
    finally:
        environ["wsgi.input"].close()
        builder.close()


def stored_count() -> int:
    return int(db.session.scalar(select(func.count()).select_from(StoredFile)) or 0)


def switch_user(client: FlaskClient, username: str) -> FlaskClient:
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    return logged_in(client, username)


@pytest.fixture
def submitted(client: FlaskClient, office: Office) -> tuple[FlaskClient, StoredFile]:  # noqa: F811
    """The clerk submitted 请假 with a PDF 证明材料; returns the logged-in client and the file."""
    task = start_qingjia(office.clerk.id)
    clerk = logged_in(client, "clerk1")
    reply = post_with_files(clerk, f"/workbench/tasks/{task.id}", {"proof": (PDF, PROOF_NAME)})
    assert reply.status_code == 302, reply.get_data(as_text=True)
    row = db.session.scalars(select(StoredFile)).one()
    return clerk, row


def test_upload_is_stored_with_the_completion(submitted, office: Office) -> None:  # noqa: F811
    _, row = submitted
    assert (row.filename, row.size, row.kind, row.uploader_id) == (
        PROOF_NAME,
        len(PDF),
        "pdf",
        office.clerk.id,
    )
    head_task = open_task_of(office.head.id)
    assert row.instance_id == head_task.instance_id and row.field == "proof"
    data = api.task_form_data(head_task.id)
    assert data["proof"][0]["id"] == row.id and data["proof"][0]["sha256"] == row.sha256


def test_next_user_downloads_with_utf8_name(submitted, office: Office) -> None:  # noqa: F811
    clerk, row = submitted
    head = switch_user(clerk, "head1")
    page = head.get(f"/workbench/tasks/{open_task_of(office.head.id).id}").get_data(as_text=True)
    links = lxml.html.fromstring(page).xpath("//section[contains(@class,'wb-attachments')]//a")
    assert [(a.text, a.get("href")) for a in links] == [(PROOF_NAME, f"/files/{row.id}")]
    reply = head.get(f"/files/{row.id}")
    assert reply.status_code == 200 and reply.data == PDF
    assert reply.headers["Content-Type"] == "application/pdf"
    assert reply.headers["X-Content-Type-Options"] == "nosniff"
    assert reply.headers["Content-Disposition"] == (
        "attachment; filename=\"____ 2026.pdf\"; filename*=UTF-8''" + quote(PROOF_NAME, safe="")
    )


@pytest.mark.parametrize("username", ["outsider1", "colleague1"])
def test_others_may_not_download(submitted, username: str) -> None:
    clerk, row = submitted
    other = switch_user(clerk, username)
    assert other.get(f"/files/{row.id}").status_code == 403
    assert other.get(f"/files/{row.id + 100}").status_code == 403  # unknown ids look the same
    instance = other.get(f"/workbench/instances/{row.instance_id}")
    assert instance.status_code == 403


def test_instance_page_lists_attachments(submitted) -> None:
    clerk, row = submitted
    page = clerk.get(f"/workbench/instances/{row.instance_id}").get_data(as_text=True)
    assert f'href="/files/{row.id}"' in page


def _refused(reply: TestResponse, message: str) -> None:
    assert reply.status_code == 422
    root = lxml.html.fromstring(reply.get_data(as_text=True))
    assert root.xpath("string(//p[@id='f-proof-error'])") == message
    assert stored_count() == 0


def test_renamed_exe_is_refused_and_nothing_stored(client, office: Office) -> None:  # noqa: F811
    task = start_qingjia(office.clerk.id)
    clerk = logged_in(client, "clerk1")
    reply = post_with_files(clerk, f"/workbench/tasks/{task.id}", {"proof": (EXE, "证明.pdf")})
    _refused(
        reply,
        "证明材料：不允许上传文件「证明.pdf」：只能上传 .pdf、.docx、.doc、.xlsx、.xls、.ofd、"
        ".jpg、.png、.zip、.txt 类型的文件",
    )
    assert api.get_task(task.id).completed_at is None


def test_oversize_is_refused_and_nothing_stored(client, office: Office) -> None:  # noqa: F811
    task = start_qingjia(office.clerk.id)
    clerk = logged_in(client, "clerk1")
    big = PDF + b"0" * (10 * 1024 * 1024)  # the form allows 10 MB per file
    reply = post_with_files(clerk, f"/workbench/tasks/{task.id}", {"proof": (big, "扫描件.pdf")})
    _refused(reply, "证明材料：文件「扫描件.pdf」超过 10 MB 的大小限制")


def test_failed_completion_leaves_no_file(client, office: Office) -> None:  # noqa: F811
    task = start_qingjia(office.clerk.id)
    clerk = logged_in(client, "clerk1")
    path = f"/workbench/tasks/{task.id}"
    page = clerk.get(path)  # the form is open in the browser ...
    assert page.status_code == 200
    api.complete_task(task.id, actor_id=office.clerk.id, data={**APPLY, "days": 2})
    db.session.commit()  # ... while the task is completed elsewhere (another tab, the API)
    reply = post_with_files(clerk, path, {"proof": (PDF, "证明.pdf")})
    assert reply.status_code == 409
    assert stored_count() == 0
