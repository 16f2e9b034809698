"""An external API client in tests: obtains a token over HTTP and sends it on every call."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from services.auth import accounts
from services.org.models import User

PASSWORD = "Api#Pass2025"
PREFIX = "/api/v1"
PROJECT = Path(__file__).resolve().parents[2]
QINGJIA = PROJECT / "processes" / "qingjia.bpmn"
BPMN_DIR = Path(__file__).parent / "bpmn"


def with_password(user: User, *, must_change: bool = False) -> User:
    """Give a factory-made user a password (flushed, not committed)."""
    accounts.set_password(user, PASSWORD, must_change=must_change)
    return user


def request_token(client: FlaskClient, username: str, password: str = PASSWORD) -> TestResponse:
    """POST /auth/token as a script would."""
    return client.post(f"{PREFIX}/auth/token", json={"username": username, "password": password})


@dataclass
class Caller:
    """One logged-in API user: every call carries its bearer token."""

    client: FlaskClient
    access_token: str
    refresh_token: str

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}

    def get(self, path: str, **kwargs: Any) -> TestResponse:
        return self.client.get(PREFIX + path, headers=self.headers(), **kwargs)

    def post(self, path: str, **kwargs: Any) -> TestResponse:
        return self.client.post(PREFIX + path, headers=self.headers(), **kwargs)

    def deploy(self, *paths: Path) -> TestResponse:
        files = [(io.BytesIO(p.read_bytes()), p.name) for p in paths]
        return self.post("/process-definitions", data={"files": files})


def caller(client: FlaskClient, username: str) -> Caller:
    """Log ``username`` in through the token endpoint."""
    response = request_token(client, username)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    return Caller(client, body["access_token"], body["refresh_token"])
