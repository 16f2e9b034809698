"""The preview page /forms/preview/<key>: login, validation round trip over HTTP, speed."""

from __future__ import annotations

import json
import statistics
import time
from io import BytesIO
from pathlib import Path

import lxml.html
import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.datastructures import MultiDict
from werkzeug.test import EnvironBuilder

from engine.forms import use_forms_dir
from services.clock import FrozenClock
from services.db import db
from services.org.models import User
from tests.auth.helpers import PASSWORD, csrf_token, ensure_sysadmin, login, make_user
from tests.web_forms.helpers import SAMPLE, thirty_field_form

URL = f"/forms/preview/{SAMPLE}"
PAGE_BUDGET_MS = 80  # issue 4: a task page with a 30-field form within 80 ms of server time


@pytest.fixture
def user(app: Flask) -> User:
    ensure_sysadmin()
    clerk = make_user("liming", name="李明")
    db.session.commit()
    return clerk


@pytest.fixture
def logged_in(client: FlaskClient, user: User) -> FlaskClient:
    assert login(client, user.username, PASSWORD).status_code == 302
    return client


def page_submission(client: FlaskClient, url: str = URL) -> MultiDict[str, str]:
    """The form as the browser would post it, CSRF token included."""
    root = lxml.html.fromstring(client.get(url).get_data(as_text=True))
    for template in root.xpath("//template"):
        template.drop_tree()
    return MultiDict(root.xpath("//form[@class='oa-form']")[0].form_values())


def filled(client: FlaskClient, user: User) -> MultiDict[str, str]:
    post = page_submission(client)
    values = {
        "title": "关于报送统计数据的通知",
        "doc_kind": "通知",
        "urgency": "平件",
        "copies": "2",
        "due_date": "2025-03-20",
        "items.0.name": "正文",
        "items.0.pages": "4",
        "handler": str(user.id),
        "opinions": "拟同意。",
        "serial_no": "伪造编号",
    }
    for name, value in values.items():
        post.setlist(name, [value])
    return post


@pytest.mark.parametrize("method", ["get", "post"])
def test_preview_requires_login(client: FlaskClient, user: User, method: str) -> None:
    data = {"csrf_token": csrf_token(client)} if method == "post" else None
    response = getattr(client, method)(URL, data=data)
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_preview_page_shows_the_form(logged_in: FlaskClient) -> None:
    response = logged_in.get(URL)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    root = lxml.html.fromstring(html)
    form = root.xpath("//form[@class='oa-form']")[0]
    assert form.get("action") == URL and form.get("enctype") == "multipart/form-data"
    assert form.xpath(".//input[@type='hidden'][@name='csrf_token']")
    assert root.xpath("//link[@href='/static/css/forms.css']")
    assert root.xpath("//script[@src='/static/js/forms.js']")
    assert "表单预览：控件示例（全部控件）" in html


def test_unknown_form_is_404(logged_in: FlaskClient) -> None:
    assert logged_in.get("/forms/preview/no_such_form").status_code == 404


def test_post_without_csrf_token_is_refused(logged_in: FlaskClient, user: User) -> None:
    post = filled(logged_in, user)
    post.pop("csrf_token")
    assert logged_in.post(URL, data=post).status_code == 400


def test_invalid_post_shows_errors_and_keeps_input(logged_in: FlaskClient, user: User) -> None:
    post = filled(logged_in, user)
    post.setlist("copies", ["三份"])
    post.setlist("doc_kind", [""])
    response = logged_in.post(URL, data=post)
    assert response.status_code == 422
    root = lxml.html.fromstring(response.get_data(as_text=True))
    assert root.xpath("//p[@id='f-copies-error'][.='份数应为整数']")
    assert root.xpath("//p[@id='f-doc_kind-error'][.='文种为必填项']")
    assert root.xpath("//input[@id='f-copies'][@value='三份']")
    assert root.xpath("//input[@id='f-title'][@value='关于报送统计数据的通知']")
    assert root.xpath("//textarea[@id='f-opinions'][.='拟同意。']")
    assert not root.xpath("//section[contains(@class, 'form-result')]")


def test_valid_post_shows_parsed_data(
    logged_in: FlaskClient, user: User, frozen_clock: FrozenClock
) -> None:
    response = logged_in.post(URL, data=filled(logged_in, user))
    assert response.status_code == 200, response.get_data(as_text=True)
    root = lxml.html.fromstring(response.get_data(as_text=True))
    data = json.loads(root.xpath("string(//section[contains(@class,'form-result')]//pre)"))
    assert data["copies"] == 2
    assert data["serial_no"] == "江教收〔2025〕18号"  # the read-only default, not the posted one
    assert data["items"] == [{"name": "正文", "pages": 4}]
    assert data["opinions"] == [
        {
            "text": "拟同意。",
            "user_id": user.id,
            "user_name": "李明",
            "position": "科员",
            "unit": "测试局",
            "time": "2025-03-03T01:00:00+00:00",
            "signature": None,
        }
    ]
    # The form is shown again from the parsed data: the opinion is now history.
    assert root.xpath("//ol[@class='opinion-history']//span[@class='opinion-user'][.='李明']")


def test_oversized_upload_is_refused(logged_in: FlaskClient, user: User) -> None:
    post = filled(logged_in, user)
    body: dict[str, object] = {k: post.getlist(k) for k in post}
    body["attachments"] = (BytesIO(b"0" * (1024 * 1024 + 10)), "汇总表.pdf")
    # Built by hand so the spooled request body (over 500 KB, a temporary file) gets closed.
    builder = EnvironBuilder(URL, method="POST", data=body)
    environ = builder.get_environ()
    try:
        response = logged_in.open(environ)
    finally:
        environ["wsgi.input"].close()
        builder.close()
    assert response.status_code == 422
    root = lxml.html.fromstring(response.get_data(as_text=True))
    message = "上传附件：文件「汇总表.pdf」超过 1 MB 的大小限制"
    assert root.xpath(f"//p[@id='f-attachments-error'][.='{message}']")


def test_thirty_field_form_page_is_fast(logged_in: FlaskClient, tmp_path: Path) -> None:
    thirty_field_form(tmp_path)
    with use_forms_dir(tmp_path):
        assert logged_in.get("/forms/preview/thirty").status_code == 200  # warm the caches
        timings = []
        for _ in range(15):
            started = time.perf_counter()
            response = logged_in.get("/forms/preview/thirty")
            timings.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200
    assert response.get_data(as_text=True).count('class="field ') >= 30
    assert statistics.median(timings) < PAGE_BUDGET_MS, timings
