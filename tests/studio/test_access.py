"""Who may use the studio: analysts and system administrators; everyone else gets 403."""

from __future__ import annotations

import pytest
from flask import Flask

from services.org.roles import ANALYST, AUDITOR, SYSADMIN
from tests.studio.helpers import QINGJIA, client_for, post_json

PAGES = ("/studio/", "/studio/model?file=processes/qingjia.bpmn", "/studio/forms/qingjia_apply")


@pytest.mark.parametrize(
    ("username", "roles", "allowed"),
    [
        ("clerk", (), False),
        ("auditor1", (AUDITOR,), False),
        ("analyst", (ANALYST,), True),
        ("sysadmin", (SYSADMIN,), True),
    ],
)
def test_studio_is_for_designers_only(
    app: Flask, username: str, roles: tuple[str, ...], allowed: bool
) -> None:
    client = client_for(app, username, roles)
    for path in PAGES:
        assert client.get(path).status_code == (200 if allowed else 403), path
    body = {"xml": QINGJIA, "filename": "qingjia.bpmn"}
    for path in ("/studio/validate", "/studio/deploy", "/studio/drafts"):
        response = post_json(client, path, body)
        assert (response.status_code == 403) is not allowed, path
    nav = client.get("/").get_data(as_text=True)
    assert ("流程设计" in nav) is allowed
    assert ("流程管理" in nav) is (SYSADMIN in roles)


def test_anonymous_is_sent_to_login(app: Flask) -> None:
    client = app.test_client()
    assert client.get("/studio/").headers["Location"].startswith("/login")


def test_json_posts_need_the_csrf_token(app: Flask) -> None:
    client = client_for(app, "analyst", (ANALYST,))
    response = client.post(
        "/studio/validate",
        json={"xml": QINGJIA, "filename": "qingjia.bpmn"},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 400
    assert "CSRF" in response.get_json()["error"]["message"]


@pytest.mark.parametrize(
    ("name", "status"),
    [
        ("bpmn-modeler.production.min.js", 200),
        ("assets/bpmn-js.css", 200),
        ("assets/bpmn-font/font/bpmn.woff2", 200),
        ("bpmn-modeler.development.js", 404),
        ("../package.json", 404),
        ("../../../package.json", 404),
    ],
)
def test_vendor_route_serves_only_the_modeler_assets(app: Flask, name: str, status: int) -> None:
    client = client_for(app, "analyst", (ANALYST,))
    response = client.get(f"/studio/vendor/{name}")
    assert response.status_code == status
    response.close()
