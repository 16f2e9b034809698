"""External intake: ``POST /api/v1/intake/packages`` for systems outside the platform.

No bearer token: the sender signs the request (see :mod:`services.gongwen.intake` and
docs/shouwen.md). Everything is checked before anything is written; an accepted package is
filed, its ``gongwen.received`` message queued and the audit event recorded in one commit. A
refused push is rolled back completely, then audited on its own. A package sent again with the
same 来文文号 and the same body answers 200 with the first receipt (``duplicate: true``).

``GET /api/v1/intake/packages/<回执编号或来文文号>`` answers the sender (signed the same way,
the reference standing in for the body) with the package's status; another sender's package
is a 404.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Response, jsonify, request
from sqlalchemy.exc import IntegrityError
from werkzeug.datastructures import FileStorage
from werkzeug.exceptions import RequestEntityTooLarge

from engine import api
from engine.gongwen_services import RECEIVED_MESSAGE
from services.audit import log as audit
from services.db import db
from services.errors import Conflict, OAError, ValidationFailed
from services.files import policy
from services.gongwen import intake, intake_status
from services.gongwen.intake_models import IntakeReceipt
from web.api import bp
from web.auth.hooks import client_ip
from web.errors import error_response

TOO_LARGE = "上传的数据包超过大小限制"


@bp.post("/intake/packages")
def intake_package() -> tuple[Response, int] | Response:
    sender = request.headers.get("X-OA-Sender", "")[:32]
    try:
        status, receipt = _accept(sender)
    except OAError as exc:
        return _refuse(sender, exc)
    except IntegrityError:  # the same package filed concurrently: answer with that receipt
        db.session.rollback()
        return _resent(sender)
    duplicate = status == 200
    action = "gongwen.intake_resent" if duplicate else "gongwen.intake_accepted"
    _audit(action, sender, "success", receipt.doc_number, object_id=receipt.record_id)
    db.session.commit()
    return jsonify(intake.receipt_json(receipt, duplicate=duplicate)), status


@bp.get("/intake/packages/<path:reference>")
def intake_package_status(reference: str) -> Response:
    """A sender asks where its package stands; every answer and refusal is audited."""
    headers = request.headers
    code = headers.get("X-OA-Sender", "")[:32]
    try:
        sender = intake.authenticate(
            code,
            headers.get("X-OA-Timestamp", ""),
            headers.get("X-OA-Signature", ""),
            reference.encode("utf-8", "replace"),
            client_ip(),
        )
        receipt = intake_status.find_receipt(sender.code, reference)
    except OAError as exc:
        db.session.rollback()
        _audit("gongwen.intake_status_refused", code, "failure", reference[:60], None, exc.code)
        db.session.commit()
        raise
    _audit("gongwen.intake_status_read", code, "success", receipt.doc_number, receipt.record_id)
    db.session.commit()
    return jsonify(intake_status.status_json(receipt))


def _accept(sender: str) -> tuple[int, IntakeReceipt]:
    body = _raw_body()
    headers = request.headers
    checked = intake.authenticate(
        sender,
        headers.get("X-OA-Timestamp", ""),
        headers.get("X-OA-Signature", ""),
        body,
        client_ip(),
    )
    metadata = _metadata()
    upload = _upload(request.files.get("body"))
    existing = intake.existing_receipt(checked.code, _doc_number(metadata))
    if existing is not None:
        return 200, _same_package(existing, upload)
    attachments = [_upload(f) for f in request.files.getlist("attachments")]
    package = intake.check_package(checked.code, metadata, upload, attachments)
    receipt = intake.file_package(package, client_ip=client_ip())
    api.send_message(
        RECEIVED_MESSAGE,
        {"unit_id": package.unit.id},
        intake.message_payload(receipt),
        sender_id=receipt.record.document.drafter_id,  # the 收发员; the instance is theirs
    )
    return 201, receipt


def _raw_body() -> bytes:
    try:
        return request.get_data(cache=True)
    except RequestEntityTooLarge as exc:
        raise intake.PackageTooLarge(TOO_LARGE, "request") from exc


def _metadata() -> Any:
    part = request.files.get("metadata")
    text = part.read().decode("utf-8", "replace") if part else request.form.get("metadata")
    if not text:
        raise ValidationFailed("缺少 metadata", errors={"metadata": "请提供 JSON 格式的公文要素"})
    try:
        return json.loads(text)
    except ValueError as exc:
        message = "metadata 不是有效的 JSON"
        raise ValidationFailed(message, errors={"metadata": message}) from exc


def _doc_number(metadata: Any) -> Any:
    return metadata.get("doc_number") if isinstance(metadata, dict) else None


def _upload(part: FileStorage | None) -> intake.Upload | None:
    if part is None:
        return None
    content = policy.read_limited(part.stream, policy.size_limit())
    return intake.Upload(part.filename or "", content)


def _same_package(existing: IntakeReceipt, upload: intake.Upload | None) -> IntakeReceipt:
    if not intake.is_same_body(existing, upload.content if upload else None):
        raise Conflict(
            "该来文文号已经报送过，且正文与已收的不同；如需更正请使用新的文号",
            code="doc_number_taken",
        )
    return existing


def _resent(sender: str) -> tuple[Response, int] | Response:
    existing = intake.existing_receipt(sender, _doc_number(_metadata()))
    if existing is None:
        return _refuse(sender, Conflict("数据包正在被同时报送，请稍后重试", code="busy"))
    _audit("gongwen.intake_resent", sender, "success", existing.doc_number, existing.record_id)
    db.session.commit()
    return jsonify(intake.receipt_json(existing, duplicate=True)), 200


def _refuse(sender: str, exc: OAError) -> Response:
    db.session.rollback()  # nothing of the package stays
    errors = getattr(exc, "errors", None) or {}
    _audit("gongwen.intake_refused", sender, "failure", "", None, exc.code, sorted(errors))
    db.session.commit()
    if isinstance(exc, intake.PackageTooLarge):
        return error_response(413, exc.message, exc.code, errors=exc.errors)
    raise exc


def _audit(
    action: str,
    sender: str,
    result: str,
    doc_number: str,
    object_id: int | None,
    code: str = "",
    fields: list[str] | None = None,
) -> None:
    detail: dict[str, Any] = {"sender": sender, "doc_number": doc_number}
    if code:
        detail.update(code=code, fields=fields or [])
    audit.record(
        action,
        ip=client_ip(),
        object_type="gongwen_incoming",
        object_id=object_id,
        result=result,
        detail=detail,
    )
