"""External intake: packages pushed by systems outside the platform, filed into a 收文箱.

An external sender (the higher-level 电子政务中心 …) signs each request with its shared secret:
``X-OA-Signature`` is the hex HMAC-SHA256 of ``"<sender>\\n<timestamp>\\n"`` followed by the raw
request body, ``X-OA-Timestamp`` (Unix seconds) must lie within ``intake_window_seconds`` of
now, and the client address must be in the sender's allow-list. The package (metadata, a
body file, attachments) is checked completely before anything is written; :func:`file_package`
then adds the 收文 (``GongwenDocument`` direction ``in`` + files + ``IncomingRecord``) and the
receipt in the caller's transaction. The caller sends the ``gongwen.received`` message that
starts the 收文 process and commits.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from services import clock
from services.config import current_settings
from services.db import db
from services.errors import AuthenticationFailed, Forbidden, ValidationFailed
from services.files import policy
from services.gongwen import documents, exchange, intake_senders, receipt_classes
from services.gongwen import fields as checks
from services.gongwen.exchange_models import DELIVERED, IncomingRecord
from services.gongwen.intake_models import IntakeReceipt
from services.gongwen.intake_senders import Sender, parse_senders
from services.gongwen.models import DocumentFile
from services.org.models import Unit

# Metadata keys of a package -> GongwenDocument field (None: not a document field).
METADATA_FIELDS = {
    "from_unit": None,
    "doc_number": "doc_number",
    "title": "title",
    "doc_type": "doc_type",
    "secrecy": "secrecy",
    "urgency": "urgency",
    "copies": "copies",
    "issued_date": "issued_date",
    "recipient_unit": None,
}
REQUIRED = ("from_unit", "doc_number", "title", "doc_type", "issued_date", "recipient_unit")
REQUIRED_TEXT = {
    "from_unit": "请填写来文单位",
    "doc_number": "请填写来文文号",
    "title": "请填写标题",
    "doc_type": "请填写文种",
    "issued_date": "请填写成文日期",
    "recipient_unit": "请填写收文单位代码",
}
BODY_KINDS = {"pdf": "sealed_pdf", "ofd": "sealed_pdf", "docx": "final_docx"}
MAX_ATTACHMENTS = 20
MAX_FROM_UNIT = 100


class PackageTooLarge(ValidationFailed):
    """A file of the package is over the size limit (the API answers 413)."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message, errors={field: message})
        self.code = "too_large"


@dataclass(frozen=True)
class Upload:
    """A file part of the request, read up to the size limit (``content`` None when over)."""

    filename: str
    content: bytes | None


@dataclass(frozen=True)
class Package:
    """A package that passed every check, ready to be filed."""

    sender: str
    unit: Unit
    from_unit: str
    values: dict[str, Any]
    body: policy.CheckedFile
    attachments: list[policy.CheckedFile]


# ------------------------------------------------------------------------------ 认证


def senders() -> dict[str, Sender]:
    """The configured external senders by code."""
    return parse_senders(current_settings().intake_senders)


def signature(secret: str, sender: str, timestamp: str, body: bytes) -> str:
    """The hex HMAC-SHA256 a sender puts in ``X-OA-Signature``."""
    return intake_senders.signature(secret, sender, timestamp, body)


def authenticate(
    sender_code: str, timestamp: str, given: str, body: bytes, address: str | None
) -> Sender:
    """The sender of a signed request: AuthenticationFailed for an unknown sender, a wrong
    signature or a timestamp outside the window; Forbidden for an address not allowed."""
    sender = senders().get(sender_code)
    if sender is None:
        raise AuthenticationFailed("发送方未登记或签名无效", code="bad_signature")
    expected = signature(sender.secret, sender.code, timestamp, body)
    if not hmac.compare_digest(expected, given.strip().lower()):
        raise AuthenticationFailed("发送方未登记或签名无效", code="bad_signature")
    if not _fresh(timestamp):
        raise AuthenticationFailed("请求时间戳无效或已过期（防重放）", code="stale_timestamp")
    if not sender.allows(address):
        raise Forbidden(f"来源地址 {address or '未知'} 不在发送方的白名单内", code="ip_not_allowed")
    return sender


def _fresh(timestamp: str) -> bool:
    text = timestamp.strip()
    if not text.isascii() or not text.isdigit() or len(text) > 12:
        return False
    age = clock.now().timestamp() - int(text)
    return abs(age) <= current_settings().intake_window_seconds


# ------------------------------------------------------------------------------ 校验


def check_package(
    sender: str, metadata: Any, body: Upload | None, attachments: list[Upload]
) -> Package:
    """Every rule of a package, before anything is written: ValidationFailed with per-field
    Chinese messages, PackageTooLarge for a file over the limit."""
    if not isinstance(metadata, dict):
        raise ValidationFailed("metadata 应为 JSON 对象", errors={"metadata": "应为 JSON 对象"})
    errors: dict[str, str] = {}
    _check_sizes(body, attachments)
    unit = _recipient(metadata, errors)
    values = _document_values(metadata, errors)
    from_unit = _text(metadata.get("from_unit"))
    if len(from_unit) > MAX_FROM_UNIT:
        errors["from_unit"] = f"来文单位不能超过 {MAX_FROM_UNIT} 个字"
    checked_body = _body(body, errors)
    checked = _attachments(attachments, errors)
    if errors or unit is None or checked_body is None:
        raise ValidationFailed("来文数据包未通过校验", errors=errors)
    return Package(sender, unit, from_unit, values, checked_body, checked)


def _check_sizes(body: Upload | None, attachments: list[Upload]) -> None:
    limit = policy.size_limit()
    parts = [("body", body)] + [(f"attachments[{i}]", a) for i, a in enumerate(attachments)]
    for field, upload in parts:
        if upload is not None and upload.content is None:
            name = policy.sanitize_filename(upload.filename)
            raise PackageTooLarge(f"文件「{name}」超过 {limit:g} MB 的大小限制", field)


def _recipient(metadata: dict[str, Any], errors: dict[str, str]) -> Unit | None:
    code = _text(metadata.get("recipient_unit"))
    unit = db.session.scalars(select(Unit).where(Unit.code == code)).first() if code else None
    if code and unit is None:
        errors["recipient_unit"] = f"收文单位代码 {code[:32]} 不存在"
    for name in REQUIRED:
        if not _text(metadata.get(name)):
            errors[name] = REQUIRED_TEXT[name]
    unknown = sorted(set(metadata) - set(METADATA_FIELDS))
    if unknown:
        errors["metadata"] = f"不认识的字段：{'、'.join(str(k)[:40] for k in unknown[:5])}"
    return unit


def _document_values(metadata: dict[str, Any], errors: dict[str, str]) -> dict[str, Any]:
    raw = {
        field: metadata[key]
        for key, field in METADATA_FIELDS.items()
        if field is not None and key in metadata and metadata[key] is not None
    }
    problems: dict[str, str] = {}
    values = checks.clean(raw, problems)
    by_field = {field: key for key, field in METADATA_FIELDS.items() if field}
    for field, message in problems.items():
        errors.setdefault(by_field.get(field, field), message)
    return values


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _body(body: Upload | None, errors: dict[str, str]) -> policy.CheckedFile | None:
    if body is None or body.content is None:
        errors["body"] = "请上传正文文件（PDF、OFD 或 docx）"
        return None
    checked = _checked(body, "body", errors)
    if checked is not None and checked.kind.name not in BODY_KINDS:
        errors["body"] = "正文只能是 PDF、OFD 或 docx 文件"
        return None
    return checked


def _attachments(uploads: list[Upload], errors: dict[str, str]) -> list[policy.CheckedFile]:
    if len(uploads) > MAX_ATTACHMENTS:
        errors["attachments"] = f"附件不能超过 {MAX_ATTACHMENTS} 个"
        return []
    found = [_checked(u, f"attachments[{i}]", errors) for i, u in enumerate(uploads)]
    return [f for f in found if f is not None]


def _checked(upload: Upload, field: str, errors: dict[str, str]) -> policy.CheckedFile | None:
    try:
        return policy.check(upload.filename, upload.content or b"")
    except ValidationFailed as exc:
        errors[field] = exc.message
        return None


# ------------------------------------------------------------------------------ 收文


def existing_receipt(sender: str, doc_number: Any) -> IntakeReceipt | None:
    """The receipt of a package this sender already pushed with this 来文文号."""
    number = _text(doc_number)
    if not number:
        return None
    return db.session.scalars(
        select(IntakeReceipt).where(
            IntakeReceipt.sender == sender, IntakeReceipt.doc_number == number[:60]
        )
    ).first()


def is_same_body(receipt: IntakeReceipt, content: bytes | None) -> bool:
    """Whether ``content`` is the body file of the package ``receipt`` acknowledged."""
    if content is None:
        return False
    return hmac.compare_digest(hashlib.sha256(content).hexdigest(), receipt.body_sha256)


def file_package(package: Package, *, client_ip: str | None) -> IntakeReceipt:
    """File a checked package in the recipient unit's 收文箱 (status 已送达); caller commits."""
    registrar = exchange.registrar_for(package.unit.id)
    document = documents.create_document(
        direction="in",
        unit_id=package.unit.id,
        drafter_id=registrar.id,
        status="received",
        **package.values,
    )
    body = package.body
    store_file(document.id, BODY_KINDS[body.kind.name], body)
    for attachment in package.attachments:
        store_file(document.id, "attachment", attachment)
    record = IncomingRecord(
        document_id=document.id,
        unit_id=package.unit.id,
        status=DELIVERED,
        delivered_at=clock.now(),
        from_unit=package.from_unit,
        from_doc_number=document.doc_number or "",
        category=exchange.default_category(document),
    )
    record.receipt_class = receipt_classes.default_class(record.category)
    db.session.add(record)
    db.session.flush()
    receipt = IntakeReceipt(
        sender=package.sender,
        doc_number=document.doc_number or "",
        record_id=record.id,
        body_sha256=body.sha256,
        client_ip=(client_ip or "")[:45],
        received_at=clock.now(),
    )
    db.session.add(receipt)
    db.session.flush()
    return receipt


def store_file(
    document_id: int, kind: str, checked: policy.CheckedFile, *, actor_id: int | None = None
) -> None:
    """Keep a checked file with a 收文 (``kind`` as in ``DocumentFile``)."""
    db.session.add(
        DocumentFile(
            document_id=document_id,
            kind=kind,
            filename=checked.filename,
            content=checked.content,
            sha256=checked.sha256,
            size=checked.size,
            created_at=clock.now(),
            created_by_id=actor_id,
        )
    )


def message_payload(receipt: IntakeReceipt) -> dict[str, Any]:
    """The ``gongwen.received`` payload that starts the 收文 process for a filed package."""
    document = receipt.record.document
    return {
        "intake_record_id": receipt.record_id,
        "doc_number": document.doc_number,
        "title": document.title,
        "doc_type": document.doc_type,
        "urgency": document.urgency,
        "secrecy": document.secrecy,
        "from_unit": receipt.record.from_unit,
    }


def attach_instance(record_id: int, instance_id: int) -> IncomingRecord | None:
    """Bind an intake 收文 to the 收文 instance its message started; None when another
    instance already holds it (a duplicate delivery)."""
    record = exchange.get_record(record_id)
    if record.instance_id not in (None, instance_id):
        return None
    record.instance_id = instance_id
    record.document.instance_id = instance_id
    db.session.flush()
    return record


def receipt_json(receipt: IntakeReceipt, *, duplicate: bool) -> dict[str, Any]:
    """The answer the sender keeps: the receipt id, the 收文 and where it was filed."""
    record = receipt.record
    return {
        "id": receipt.id,
        "record_id": record.id,
        "recipient_unit": record.unit.code,
        "doc_number": receipt.doc_number,
        "status": record.status,
        "received_at": clock.as_utc(receipt.received_at).isoformat(),
        "duplicate": duplicate,
    }
