"""Callbacks to external senders: 签收, 退文 and 办结 of their packages, POSTed as signed JSON.

:func:`queue_status` is called by :mod:`services.gongwen.exchange` inside the change itself, so
the event row commits (or rolls back) with the 收文's new status. Only packages that came
through the intake API and whose sender registered a callback URL (``OA_INTAKE_SENDERS``, see
:mod:`services.gongwen.intake_senders`) get one; platform-internal 收文 never do.

:func:`dispatch_due` is a scheduler job (``engine/scheduler.py``): it claims due rows
(``FOR UPDATE SKIP LOCKED`` on PostgreSQL, a conditional ``UPDATE`` on SQLite) and commits the
claim, POSTs outside any transaction, then marks the row sent. Any answer but 2xx is retried
after ``intake_callback_retry_base_seconds * 2**(n-1)``; after ``intake_callback_max_attempts``
the row is ``failed``, listed by :func:`failed_callbacks` and put back by :func:`retry_failed`.
The claim/send/retry bookkeeping is :mod:`services.delivery`'s.

The request carries the sender's own signature scheme: ``X-OA-Sender``, ``X-OA-Timestamp`` and
``X-OA-Signature`` = hex HMAC-SHA256(secret, code + "\\n" + timestamp + "\\n" + body), plus
``X-OA-Event`` and ``X-OA-Event-Id`` (stable per event: a receiver drops repeats by it).
"""

from __future__ import annotations

import http.client
import json
import urllib.error
import urllib.request
from typing import Any

from sqlalchemy import select

from services import clock, delivery
from services.config import current_settings
from services.db import db
from services.gongwen.exchange_models import IncomingRecord
from services.gongwen.intake_callback_models import EVENTS, IntakeCallback
from services.gongwen.intake_models import IntakeReceipt
from services.gongwen.intake_senders import Sender, parse_senders
from services.gongwen.intake_status import status_json


class CallbackError(Exception):
    """The sender's callback endpoint did not accept an event (the row is retried)."""


# ------------------------------------------------------------------------------ 排队


def queue_status(record: IncomingRecord, event: str) -> IntakeCallback | None:
    """Queue ``event`` (signed / returned / finished) of an intake 收文 for its sender, in the
    caller's transaction; None for platform-internal or paper 收文 and senders without a URL."""
    if event not in EVENTS:
        raise ValueError(f"unknown intake callback event {event!r}")
    if record.distribution_id is not None:
        return None  # a copy of a platform 发文: its sender follows it on the 发文 page
    receipt = db.session.scalars(
        select(IntakeReceipt).where(IntakeReceipt.record_id == record.id)
    ).first()
    sender = _senders().get(receipt.sender) if receipt is not None else None
    if receipt is None or sender is None or not sender.callback_url:
        return None
    existing = db.session.scalars(
        select(IntakeCallback).where(
            IntakeCallback.receipt_id == receipt.id, IntakeCallback.event == event
        )
    ).first()
    if existing is not None:
        return existing
    row = IntakeCallback(
        receipt_id=receipt.id,
        sender=receipt.sender,
        event=event,
        payload=json.dumps(event_body(receipt, event), ensure_ascii=False),
        due_at=clock.now(),
    )
    db.session.add(row)
    return row


def event_body(receipt: IntakeReceipt, event: str) -> dict[str, Any]:
    """The JSON a sender receives for ``event``: what happened, when, and the package status."""
    return {
        "event": event,
        "event_id": event_id(receipt.id, event),
        "occurred_at": clock.now().isoformat(),
        "package": status_json(receipt),
    }


def event_id(receipt_id: int, event: str) -> str:
    """The stable id of one event of one package (the same on every retry)."""
    return f"{receipt_id}-{event}"


def _senders() -> dict[str, Sender]:
    return parse_senders(current_settings().intake_senders)


# ------------------------------------------------------------------------------ 发送


QUEUE = delivery.Queue(
    IntakeCallback,
    CallbackError,
    "intake_callback",
    "外部收文回调失败（第 %s 次，#%s）：%s",
    __name__,
)


def dispatch_due(limit: int = 100, worker_id: str | None = None) -> int:
    """POST up to ``limit`` due events; returns how many were accepted. A job: it commits."""
    return delivery.dispatch_due(QUEUE, _prepare, limit, worker_id)


def _prepare(row: IntakeCallback) -> delivery.Send:
    sender, event, body = _senders().get(row.sender), row.event, row.payload.encode()
    delivery_id = event_id(row.receipt_id, event)
    return lambda: post(sender, event, delivery_id, body)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # a redirect is an answer other than 2xx: the event is retried


_OPENER = urllib.request.build_opener(_NoRedirect)


def post(sender: Sender | None, event: str, delivery_id: str, body: bytes) -> None:
    """POST one signed event to the sender's callback URL; CallbackError unless 2xx."""
    if sender is None or not sender.callback_url:
        raise CallbackError("发送方已不在 OA_INTAKE_SENDERS 中，或未登记回调地址")
    stamp = str(int(clock.now().timestamp()))
    request = urllib.request.Request(  # noqa: S310 (http/https checked by intake_senders)
        sender.callback_url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json; charset=utf-8",
            "X-OA-Sender": sender.code,
            "X-OA-Timestamp": stamp,
            "X-OA-Signature": sender.sign(stamp, body),
            "X-OA-Event": event,
            "X-OA-Event-Id": delivery_id,
        },
    )
    timeout = current_settings().intake_callback_timeout_seconds
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            response.read()
    except urllib.error.HTTPError as exc:
        raise CallbackError(f"回调地址返回 HTTP {exc.code}") from exc
    except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as exc:
        raise CallbackError(f"回调地址连接失败：{exc}"[:480]) from exc


# ------------------------------------------------------------------------------ 失败的回调


# For administrators (``oa`` commands): events that gave up, putting them back, the queue size.
failed_callbacks = QUEUE.failed_rows
retry_failed = QUEUE.retry_failed
counts = QUEUE.counts
