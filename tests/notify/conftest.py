"""Notify fixtures: a real SMTP server (aiosmtpd) and a local SMS HTTP gateway, each on a free
127.0.0.1 port, and an app configured to use both."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from flask import Flask

from services.db import db
from tests.conftest import make_test_app

API_KEY = "test-sms-key-123"
SIGN = "【市政府办公厅】"


def free_port() -> int:
    """A port nobody listens on right now (aiosmtpd cannot bind port 0 itself)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class MailBox:
    """What the SMTP server received: raw message bytes per envelope."""

    messages: list[bytes] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            self.messages.append(envelope.original_content or envelope.content)
        return "250 OK"


@dataclass
class Gateway:
    """The SMS gateway: records each request, answers with ``statuses`` in turn (then 200)."""

    port: int = 0
    requests: list[dict[str, Any]] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)

    @property
    def accepted(self) -> list[dict[str, Any]]:
        return [r for r in self.requests if r["status"] == 200]


@pytest.fixture
def mailbox() -> Iterator[tuple[MailBox, int]]:
    box, port = MailBox(), free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield box, port
    finally:
        controller.stop()


def _handler(gateway: Gateway) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers["Content-Length"]))
            status = gateway.statuses.pop(0) if gateway.statuses else 200
            gateway.requests.append(
                {"json": json.loads(raw), "key": self.headers.get("X-Api-Key"), "status": status}
            )
            self.send_response(status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args: Any) -> None:
            return

    return Handler


@pytest.fixture
def gateway() -> Iterator[Gateway]:
    found = Gateway()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(found))
    found.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield found
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def app(
    database_url: str, tmp_path: Path, mailbox: tuple[MailBox, int], gateway: Gateway
) -> Iterator[Flask]:
    """The app with e-mail and SMS pointed at the local servers; 3 attempts, 60 s base delay."""
    application = make_test_app(
        database_url,
        tmp_path / "var",
        notify_smtp_host="127.0.0.1",
        notify_smtp_port=mailbox[1],
        notify_mail_from="oa@example.gov.cn",
        notify_sms_gateway_url=f"http://127.0.0.1:{gateway.port}/sms",
        notify_sms_api_key=API_KEY,
        notify_sms_sign=SIGN,
        notify_max_attempts=3,
        notify_retry_base_seconds=60,
        notify_smtp_timeout_seconds=5,
    )
    with application.app_context():
        yield application
        db.session.remove()
        db.engine.dispose()
