"""Errors become Chinese pages or JSON, never a traceback."""

from __future__ import annotations

import logging

import pytest
from flask import Flask

from services.errors import Conflict


@pytest.fixture
def failing_app(app: Flask) -> Flask:
    """The real app plus two routes that fail, registered before the first request."""

    @app.get("/_test/boom")
    def boom() -> str:
        raise RuntimeError("secret internal detail")

    @app.get("/api/_test/conflict")
    def conflict() -> str:
        raise Conflict("该任务已被他人处理")

    return app


def test_unknown_page_is_a_chinese_html_404(client) -> None:
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert "您访问的页面或对象不存在" in response.get_data(as_text=True)


def test_unknown_api_path_answers_json(client) -> None:
    response = client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.get_json()["error"]["message"] == "您访问的页面或对象不存在。"


def test_json_is_chosen_by_accept_header(client) -> None:
    response = client.get("/no-such-page", headers={"Accept": "application/json"})
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "http_404"


def test_unexpected_exception_hides_details(failing_app: Flask, caplog) -> None:
    caplog.set_level(logging.ERROR)
    response = failing_app.test_client().get("/_test/boom")
    body = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "系统内部错误" in body
    assert "secret internal detail" not in body and "Traceback" not in body
    # ...but the operator's log has it.
    assert "secret internal detail" in caplog.text


def test_domain_error_maps_to_status_and_chinese_message(failing_app: Flask) -> None:
    response = failing_app.test_client().get("/api/_test/conflict")
    assert response.status_code == 409
    assert response.get_json()["error"] == {"code": "conflict", "message": "该任务已被他人处理"}
