"""Callbacks to external senders: 签收, 退文 and 办结 of their packages reach a real HTTP server
(on 127.0.0.1) as JSON signed with the sender's secret, once, retried after a failure; platform
收文 and senders without a callback URL get nothing."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from sqlalchemy import select

from engine import api
from engine import scheduler as engine_scheduler
from services import clock
from services.config import ConfigError, load_settings
from services.db import db
from services.gongwen import exchange, intake_callbacks
from services.gongwen.intake_callback_models import IntakeCallback
from tests.shouwen.helpers import issue_to, record_of, send
from tests.shouwen.intake_helpers import (
    SECRET,
    handle_to_the_end,
    install_senders,
    metadata,
    push,
    return_it,
    sign,
    started,
)
from tests.support.concurrent_workers import run_workers
from web.commands.intake import intake_callbacks_command


@dataclass
class Received:
    headers: Message  # case-insensitive, as a receiver reads them
    body: bytes

    @property
    def json(self) -> dict[str, Any]:
        return json.loads(self.body)


@dataclass
class Receiver:
    """The sender's callback endpoint: records every request, answers the queued statuses."""

    url: str
    requests: list[Received] = field(default_factory=list)
    answers: list[int] = field(default_factory=list)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver(url="")
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            with lock:
                state.requests.append(Received(self.headers, body))
                code = state.answers.pop(0) if state.answers else 200
            self.send_response(code)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/oa/callback"
    yield state
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture
def senders(city, receiver, frozen_clock) -> None:
    install_senders(receiver.url, intake_callback_retry_base_seconds=60)


def rows() -> list[IntakeCallback]:
    query = select(IntakeCallback).order_by(IntakeCallback.id)
    return list(db.session.scalars(query.execution_options(populate_existing=True)))


def verified(request: Received) -> bool:
    """What the receiver does: recompute the signature with the shared secret."""
    stamp = request.headers["X-OA-Timestamp"]
    message = f"{request.headers['X-OA-Sender']}\n{stamp}\n".encode() + request.body
    expected = hmac.new(SECRET.encode(), message, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, request.headers["X-OA-Signature"])


def test_signing_is_called_back_signed_with_the_senders_secret(
    city, senders, receiver, client
) -> None:
    czj = city.units["czj"]
    record = started(push(client))
    assert rows() == []  # 已送达 is the answer to the push itself
    sign(czj, record)
    (row,) = rows()
    assert (row.event, row.status, row.sender) == ("signed", "pending", "dzzw")
    assert intake_callbacks.dispatch_due(worker_id="w1") == 1
    (request,) = receiver.requests
    assert verified(request)
    assert request.headers["Content-Type"].startswith("application/json")
    assert request.headers["X-OA-Sender"] == "dzzw" and request.headers["X-OA-Event"] == "signed"
    assert request.headers["X-OA-Event-Id"] == request.json["event_id"]
    package = request.json["package"]
    assert request.json["event"] == "signed" and package["status"] == "已签收"
    assert package["doc_number"] == "省政办发〔2025〕12号" and package["id"] == row.receipt_id
    assert package["signed"]["by"]["role"] == "收发员"
    assert rows()[0].status == "sent" and rows()[0].sent_at is not None
    assert intake_callbacks.dispatch_due(worker_id="w1") == 0 and len(receiver.requests) == 1


def test_a_tampered_body_does_not_verify(city, senders, receiver, client) -> None:
    sign(city.units["czj"], started(push(client)))
    intake_callbacks.dispatch_due(worker_id="w1")
    (request,) = receiver.requests
    forged = Received(request.headers, request.body.replace("已签收".encode(), "已办结".encode()))
    assert verified(request) and not verified(forged)


def test_return_and_finish_with_reply_are_called_back(city, senders, receiver, client) -> None:
    czj = city.units["czj"]
    returned = started(push(client, metadata(doc_number="省政办发〔2025〕20号")))
    reason = "请改送市发展改革委"
    return_it(czj, returned, reason)
    handled = started(push(client))
    sign(czj, handled)
    reply = "已按要求部署落实"
    handle_to_the_end(czj, handled, reply)
    assert [r.event for r in rows()] == ["returned", "signed", "finished"]
    assert intake_callbacks.dispatch_due(worker_id="w1") == 3
    by_event = {r.json["event"]: r.json["package"] for r in receiver.requests}
    assert by_event["returned"]["returned"]["reason"] == reason
    assert by_event["returned"]["status"] == "已退文"
    assert by_event["finished"]["status"] == "已办结"
    assert by_event["finished"]["finished"]["reply"] == reply
    assert by_event["finished"]["receipt_number"]
    assert all(verified(r) for r in receiver.requests)


def test_a_failed_call_is_retried_with_backoff(
    city, senders, receiver, client, frozen_clock
) -> None:
    receiver.answers = [500, 503]
    sign(city.units["czj"], started(push(client)))
    assert intake_callbacks.dispatch_due(worker_id="w1") == 0
    (row,) = rows()
    assert (row.status, row.attempts, row.last_error) == ("pending", 1, "回调地址返回 HTTP 500")
    assert clock.as_utc(row.due_at) == frozen_clock.current + timedelta(seconds=60)
    frozen_clock.advance(seconds=59)
    assert intake_callbacks.dispatch_due(worker_id="w1") == 0 and len(receiver.requests) == 1
    frozen_clock.advance(seconds=1)
    assert intake_callbacks.dispatch_due(worker_id="w1") == 0  # 503: next delay doubled
    assert clock.as_utc(rows()[0].due_at) == frozen_clock.current + timedelta(seconds=120)
    frozen_clock.advance(seconds=120)
    assert intake_callbacks.dispatch_due(worker_id="w1") == 1
    assert [r.headers["X-OA-Event-Id"] for r in receiver.requests] == [
        receiver.requests[0].json["event_id"]
    ] * 3
    assert all(verified(r) for r in receiver.requests)
    assert rows()[0].status == "sent"


def test_exhausted_attempts_are_listed_and_can_be_put_back(
    app, city, senders, receiver, client, frozen_clock
) -> None:
    install_senders(receiver.url, intake_callback_max_attempts=2)
    receiver.answers = [500, 500]
    sign(city.units["czj"], started(push(client)))
    intake_callbacks.dispatch_due(worker_id="w1")
    frozen_clock.advance(hours=1)
    intake_callbacks.dispatch_due(worker_id="w1")
    (failed,) = intake_callbacks.failed_callbacks()
    assert (failed.status, failed.attempts) == ("failed", 2)
    assert intake_callbacks.counts() == {"failed": 1}
    frozen_clock.advance(days=1)
    assert intake_callbacks.dispatch_due(worker_id="w1") == 0  # given up: not retried alone
    listed = app.test_cli_runner().invoke(intake_callbacks_command, [])
    assert f"#{failed.id} dzzw signed" in listed.output and "HTTP 500" in listed.output
    retried = app.test_cli_runner().invoke(intake_callbacks_command, ["--retry"])
    assert retried.exit_code == 0 and "已重新排队 1 条失败回调" in retried.output
    assert intake_callbacks.dispatch_due(worker_id="w1") == 1
    assert intake_callbacks.counts() == {"sent": 1} and len(receiver.requests) == 3


def test_an_unreachable_endpoint_is_a_failure_not_a_crash(city, receiver, client, frozen_clock):
    install_senders("http://127.0.0.1:9/nothing-listens-here")
    sign(city.units["czj"], started(push(client)))
    assert intake_callbacks.dispatch_due(worker_id="w1") == 0
    (row,) = rows()
    assert row.status == "pending" and row.last_error.startswith("回调地址连接失败")


def test_two_dispatchers_send_every_event_exactly_once(app, city, senders, receiver, client):
    czj = city.units["czj"]
    for n in range(6):
        receipt = push(client, metadata(doc_number=f"省政办发〔2025〕{30 + n}号"))
        sign(czj, started(receipt))
    assert len(rows()) == 6
    sent = run_workers(app, lambda name: intake_callbacks.dispatch_due(limit=100, worker_id=name))
    assert sum(sent) == 6
    ids = [r.headers["X-OA-Event-Id"] for r in receiver.requests]
    assert len(ids) == 6 and len(set(ids)) == 6
    assert {r.status for r in rows()} == {"sent"}


def test_the_scheduler_job_sends_the_callbacks(app, city, senders, receiver, client) -> None:
    sign(city.units["czj"], started(push(client)))
    result = engine_scheduler.run_once(app, worker_id="s1")
    assert result.callbacks_sent == 1 and len(receiver.requests) == 1


def test_platform_shouwen_and_senders_without_url_get_no_callback(
    city, senders, receiver, client
) -> None:
    czj = city.units["czj"]
    send(city, issue_to(city, ["czj"]))
    api.deliver_messages(worker_id="w1")
    sign(czj, record_of(czj))  # a 发文 of the platform: its sender sees it on the 发文 page
    theirs = started(push(client, metadata(doc_number="某系统发〔2025〕3号"), other=True))
    sign(czj, theirs)  # "other" registered no callback URL
    assert rows() == []
    assert intake_callbacks.dispatch_due(worker_id="w1") == 0 and receiver.requests == []


def test_the_event_is_part_of_the_change_transaction(city, senders, client) -> None:
    record = started(push(client))
    db.session.commit()
    exchange.mark_signed(record.id, exchange.registrar_for(record.unit_id).id)
    assert len(rows()) == 1
    db.session.rollback()  # the 签收 did not happen: neither did its event
    assert rows() == [] and exchange.get_record(record.id).status == "已送达"


@pytest.mark.parametrize(
    "url", ["ftp://example.org/cb", "http://", "http://user@host/cb", "https://a b/cb"]
)
def test_a_malformed_callback_url_stops_start_up_without_the_secret(tmp_path, url) -> None:
    raw = f"dzzw={SECRET}@10.0.0.1|{url}"
    with pytest.raises(ConfigError) as caught:
        load_settings(environ={}, var_dir=tmp_path, intake_senders=raw)
    assert SECRET not in str(caught.value) and "dzzw" in str(caught.value)


def test_a_callback_url_keeps_the_old_format_working(tmp_path) -> None:
    from services.gongwen.intake_senders import parse_senders

    senders = parse_senders(
        f"dzzw={SECRET}@10.8.0.0/16,10.9.1.5|https://gw.example.gov.cn/oa/cb?x=1;"
        f"old={SECRET}@10.0.0.1"
    )
    assert senders["dzzw"].callback_url == "https://gw.example.gov.cn/oa/cb?x=1"
    assert senders["dzzw"].allows("10.9.1.5") and senders["dzzw"].secret == SECRET
    assert senders["old"].callback_url == "" and senders["old"].allows("10.0.0.1")
    assert "gw.example" in repr(senders["dzzw"]) and SECRET not in repr(senders["dzzw"])
