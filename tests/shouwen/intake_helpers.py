"""External senders pushing, querying and being called back: shared by the intake tests."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from typing import Any
from urllib.parse import quote

from engine import api
from services import clock
from services.config import current_settings, install
from services.gongwen import documents, exchange, intake
from services.gongwen.exchange_models import IncomingRecord
from services.org.models import Unit
from tests.shouwen.helpers import departments, do, head, leader, office_director, registrar
from tests.shouwen.test_intake import (
    ALLOWED_IP,
    BODY_PDF,
    OTHER_SECRET,
    SECRET,
    URL,
    encode,
    metadata,
)

__all__ = ["ALLOWED_IP", "OTHER_SECRET", "SECRET", "metadata"]
OTHER_IP = "192.168.5.9"


def install_senders(callback_url: str = "", **settings: Any) -> None:
    """dzzw (10.8.0.0/16, with ``callback_url`` if given) and other (one address, no callback)."""
    dzzw = f"dzzw={SECRET}@10.8.0.0/16" + (f"|{callback_url}" if callback_url else "")
    raw = f"{dzzw};other={OTHER_SECRET}@{OTHER_IP}"
    install(dataclasses.replace(current_settings(), intake_senders=raw, **settings))


def _stamp() -> str:
    return str(int(clock.now().timestamp()))


def push(client, meta: dict[str, Any] | None = None, *, other: bool = False) -> dict[str, Any]:
    """Push a package (as dzzw, or as the other sender) and return its receipt."""
    sender, secret, ip = (
        ("other", OTHER_SECRET, OTHER_IP) if other else ("dzzw", SECRET, ALLOWED_IP)
    )
    data, content_type = encode(meta or metadata(), {"body": [("正文.pdf", BODY_PDF)]})
    stamp = _stamp()
    headers = {
        "X-OA-Sender": sender,
        "X-OA-Timestamp": stamp,
        "X-OA-Signature": intake.signature(secret, sender, stamp, data),
        "Content-Type": content_type,
    }
    response = client.post(URL, data=data, headers=headers, environ_base={"REMOTE_ADDR": ip})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def query(
    client,
    reference: str,
    *,
    sender: str = "dzzw",
    secret: str = SECRET,
    ip: str = ALLOWED_IP,
    signed: str | None = None,
):
    """The signed status query; ``signed`` is what the signature covers (the reference)."""
    stamp = _stamp()
    content = (reference if signed is None else signed).encode()
    headers = {
        "X-OA-Sender": sender,
        "X-OA-Timestamp": stamp,
        "X-OA-Signature": intake.signature(secret, sender, stamp, content),
    }
    path = f"{URL}/{quote(reference, safe='')}"
    return client.get(path, headers=headers, environ_base={"REMOTE_ADDR": ip})


def started(receipt: dict[str, Any]) -> IncomingRecord:
    """Deliver the ``gongwen.received`` message: the 收文 process starts for the package."""
    api.deliver_messages(worker_id="w1")
    return exchange.get_record(receipt["record_id"])


def sign(unit: Unit, record: IncomingRecord) -> None:
    do(record.instance_id, registrar(unit), "签收", {"sign_action": "签收"})


def return_it(unit: Unit, record: IncomingRecord, reason: str) -> None:
    data = {"sign_action": "退文", "sign_return_reason": reason}
    do(record.instance_id, registrar(unit), "签收", data)


def handle_to_the_end(unit: Unit, record: IncomingRecord, reply: str) -> None:
    """登记 (with 答复 required) -> 初审 -> 拟办 -> 批示 -> 主办 -> 办结 with ``reply``."""
    today = documents.beijing_today()
    form = {
        "title": record.document.title,
        "from_unit": "省电子政务中心",
        "from_doc_number": record.from_doc_number,
        "category": "普发件",
        "urgency": "urgent",
        "copies": 2,
        "received_date": today.isoformat(),
        "deadline": (today + timedelta(days=5)).isoformat(),
        "need_reply": True,
    }
    instance_id = record.instance_id
    director, host = office_director(unit), departments(unit)[0]
    do(instance_id, registrar(unit), "登记", form)
    do(instance_id, director, "初审", {"review_accept": True})
    do(instance_id, director, "拟办", {"proposal": "建议业务科室办理"})
    do(instance_id, leader(unit), "领导批示", {"instruction": "同意", "host_department": host.id})
    do(instance_id, head(host), "主办部门办理", {"host_feedback": "已办理"})
    do(instance_id, director, "办结", {"result": "已落实", "reply": reply})
