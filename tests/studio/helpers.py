"""Helpers of the studio and admin console tests: logged-in clients and qingjia variants."""

from __future__ import annotations

from typing import Any

from flask import Flask, g
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from services.config import PROJECT_ROOT
from services.db import db
from tests.auth.helpers import PASSWORD, csrf_token, ensure_sysadmin, login, make_user

QINGJIA = (PROJECT_ROOT / "processes" / "qingjia.bpmn").read_text(encoding="utf-8")
OLD_NAME = 'id="apply" name="填写申请"'


def renamed_qingjia(new_name: str = "填写请假申请") -> str:
    """qingjia.bpmn with its first user task renamed (what an analyst does in the studio)."""
    assert OLD_NAME in QINGJIA
    return QINGJIA.replace(OLD_NAME, f'id="apply" name="{new_name}"')


def client_for(app: Flask, username: str, roles: tuple[str, ...]) -> FlaskClient:
    """A client logged in as a new user holding ``roles`` (committed)."""
    ensure_sysadmin()
    if username != "sysadmin":
        make_user(username, name=f"用户{username}", roles=roles)
    db.session.commit()
    client = app.test_client()
    forget_csrf()
    response = login(client, username, PASSWORD)
    assert response.status_code == 302, response.get_data(as_text=True)[-1500:]
    return client


def forget_csrf() -> None:
    """Requests share the test's app context, so Flask-WTF's per-request token cache in ``g``
    would hand one client's token to another; drop it before switching clients."""
    g.pop("csrf_token", None)


def post_json(client: FlaskClient, path: str, body: dict[str, Any]) -> TestResponse:
    """POST JSON the way studio.js does: CSRF token in the header, JSON accepted."""
    forget_csrf()
    token = csrf_token(client, "/")
    return client.post(
        path, json=body, headers={"X-CSRFToken": token, "Accept": "application/json"}
    )
