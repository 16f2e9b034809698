"""Sealing a converted .docx: a real, visible PDF signature that breaks when anything changes."""

from __future__ import annotations

import hashlib
import io
import re
from datetime import timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from flask import Flask
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext
from pypdf import PdfReader
from sqlalchemy import select

from services import clock
from services.audit.models import AuditEvent
from services.db import db
from services.errors import Forbidden, NotFound
from services.seal import ca, seals
from services.seal.models import USE_REFUSED, USE_SIGNED, SealUseLog
from services.seal.pades import PyHankoSealProvider, to_asn1
from services.seal.provider import SealPlacement
from services.seal.sign import SEAL_STEP, SealUse, may_use_seal, sign_pdf
from services.seal.verify import verify_pdf
from tests.convert.helpers import pdf_text
from tests.org.factories import make_unit, make_user
from tests.seal.conftest import DOCUMENT_TITLE, PLACEMENT, SealSetup


@pytest.fixture
def sealed(setup: SealSetup, document_pdf: bytes) -> bytes:
    pdf = sign_pdf(document_pdf, setup.use(), PLACEMENT)
    db.session.commit()
    return pdf


def _byte_range(pdf: bytes) -> tuple[int, int, int, int]:
    match = re.search(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]", pdf)
    assert match is not None
    a, b, c, d = (int(g) for g in match.groups())
    return a, b, c, d


def test_pyhanko_validator_trusts_the_seal_via_platform_ca(sealed: bytes) -> None:
    signature = PdfFileReader(io.BytesIO(sealed)).embedded_signatures[0]
    context = ValidationContext(trust_roots=[to_asn1(ca.ca_certificate())], allow_fetching=False)
    status = validate_pdf_signature(signature, context)
    assert status.intact and status.valid and status.trusted
    assert status.bottom_line


def test_verify_reports_signer_and_seal(setup: SealSetup, sealed: bytes) -> None:
    result = verify_pdf(sealed)
    assert result.valid and result.intact, result.problems
    assert result.signer == "宁江市教育局"
    assert result.seal_id == setup.seal.seal_code
    assert result.signed_at is not None
    assert result.problems == []


def test_seal_is_visible_at_the_placement(sealed: bytes) -> None:
    page = PdfReader(io.BytesIO(sealed)).pages[-1]
    widgets = [a.get_object() for a in page.get("/Annots", [])]
    signature = next(w for w in widgets if w.get("/FT") == "/Sig")
    assert [round(float(v)) for v in signature["/Rect"]] == list(PLACEMENT.box)
    appearance = signature["/AP"]["/N"].get_object()
    resources = appearance["/Resources"]
    # The appearance draws the seal picture (through a form XObject holding the image).
    assert "/Image" in repr(resources) or "/XObject" in resources


def test_chinese_text_survives_conversion_and_sealing(sealed: bytes) -> None:
    assert DOCUMENT_TITLE in pdf_text(sealed)


def test_signature_uses_the_unit_key_ecdsa(setup: SealSetup, sealed: bytes) -> None:
    signature = PdfFileReader(io.BytesIO(sealed)).embedded_signatures[0]
    assert signature.signer_cert.subject.native["serial_number"] == "jyj"
    assert isinstance(ca.ca_certificate().public_key(), ec.EllipticCurvePublicKey)


@pytest.mark.parametrize("where", ["before_contents", "after_contents", "first_byte_of_tail"])
def test_one_changed_byte_breaks_the_seal(sealed: bytes, where: str) -> None:
    _, b, c, d = _byte_range(sealed)
    offset = {
        "before_contents": b // 2,
        "after_contents": c + d // 2,
        "first_byte_of_tail": c,
    }[where]
    tampered = bytearray(sealed)
    tampered[offset] ^= 0x01
    result = verify_pdf(bytes(tampered))
    assert not result.valid
    assert not result.intact
    assert result.problems


def _append_page_content(pdf: bytes) -> bytes:
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    stream = generic.StreamObject(stream_data=b"BT /F1 24 Tf 100 100 Td (forged) Tj ET")
    writer.add_stream_to_page(0, writer.add_object(stream))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _append_info_update(pdf: bytes) -> bytes:
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    page_ref, _ = writer.find_page_for_modification(0)
    page = page_ref.get_object()
    page["/Rotate"] = generic.NumberObject(90)
    writer.update_container(page)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


APPENDED = "签章后文件被追加修改"


@pytest.mark.parametrize(
    ("append", "problem"),
    [
        pytest.param(_append_page_content, APPENDED, id="new-content-stream"),
        pytest.param(_append_info_update, APPENDED, id="page-rotated"),
        pytest.param(lambda pdf: pdf + b"\n% appended text\n", APPENDED, id="raw-bytes"),
        pytest.param(
            lambda pdf: pdf + b"1 0 obj (forged) endobj\n%%EOF\n", "文件无法解析", id="fake-eof"
        ),
    ],
)
def test_content_appended_after_signing_is_detected(sealed: bytes, append, problem) -> None:
    result = verify_pdf(append(sealed))
    assert not result.valid
    assert any(problem in p for p in result.problems)


def test_untrusted_ca_is_rejected(app: Flask, sealed: bytes) -> None:
    other_ca = _other_ca_certificate()
    result = PyHankoSealProvider(trust_roots=[other_ca]).verify_pdf(sealed)
    assert result.intact
    assert not result.valid
    assert any("CA" in p for p in result.problems)


def _other_ca_certificate() -> x509.Certificate:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "其他 CA")])
    now = clock.now()
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )


def test_unsigned_pdf_is_not_valid(app: Flask, document_pdf: bytes) -> None:
    ca.init_ca()
    result = verify_pdf(document_pdf)
    assert not result.valid
    assert result.problems == ["文件中没有电子印章"]


def test_use_is_logged_and_audited(setup: SealSetup, document_pdf: bytes, frozen_clock) -> None:
    sealed = sign_pdf(document_pdf, setup.use(), PLACEMENT)
    db.session.commit()
    entry = db.session.scalars(select(SealUseLog)).one()
    assert entry.at == frozen_clock.current
    assert entry.result == USE_SIGNED
    assert entry.seal_id == setup.seal.id
    assert entry.user_id == setup.clerk.id
    assert entry.reference == "fawen:1/task:9"
    assert entry.document_sha256 == hashlib.sha256(sealed).hexdigest()
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "seal.use")).one()
    assert (event.result, event.user_id) == ("success", setup.clerk.id)
    assert event.detail["use_log_id"] == entry.id


REFUSALS = [
    pytest.param({"step": "办公室核稿"}, "只能在“用印”环节使用印章", id="wrong-step"),
    pytest.param({"step": "套红排版"}, "当前环节为“套红排版”", id="another-step"),
    pytest.param({"approved": False}, "文件尚未签发", id="not-approved"),
    pytest.param({"other_unit": True}, "只能使用本单位的印章", id="other-unit-user"),
    pytest.param({"inactive": True}, "用印人账号无效", id="inactive-user"),
]


@pytest.mark.parametrize(("case", "reason"), REFUSALS)
def test_refused_outside_the_seal_step_and_audited(
    setup: SealSetup, document_pdf: bytes, case: dict, reason: str
) -> None:
    user = setup.clerk
    if case.get("other_unit"):
        user = make_user("czj_clerk", unit=make_unit("宁江市财政局"))
    if case.get("inactive"):
        user.active = False
    use = setup.use(
        step=case.get("step", SEAL_STEP), approved=case.get("approved", True), user=user
    )
    with pytest.raises(Forbidden, match=reason):
        sign_pdf(document_pdf, use, PLACEMENT)
    db.session.commit()  # the caller commits the record of the refusal
    entry = db.session.scalars(select(SealUseLog)).one()
    assert (entry.result, entry.seal_id, entry.step) == (USE_REFUSED, None, use.step)
    assert reason in (entry.reason or "")
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "seal.use")).one()
    assert event.result == "failure"
    assert reason in event.detail["reason"]


def test_unit_without_seal_is_refused_and_logged(setup: SealSetup, document_pdf: bytes) -> None:
    unit = make_unit("宁江市水利局")
    clerk = make_user("slj_clerk", unit=unit)
    use = SealUse(unit.id, clerk.id, "发文用印", SEAL_STEP, True)
    with pytest.raises(NotFound):
        sign_pdf(document_pdf, use, PLACEMENT)
    entry = db.session.scalars(select(SealUseLog)).one()
    assert entry.result == USE_REFUSED and entry.unit_id == unit.id


@pytest.mark.parametrize(
    ("step", "approved", "allowed"),
    [(SEAL_STEP, True, True), (SEAL_STEP, False, False), ("签发", True, False)],
)
def test_may_use_seal_policy(setup: SealSetup, step: str, approved: bool, allowed: bool) -> None:
    assert may_use_seal(setup.unit.id, setup.clerk, step, approved).allowed is allowed
    assert may_use_seal(setup.unit.id, None, step, approved).allowed is False


def test_joint_document_keeps_both_seals_valid(setup: SealSetup, sealed: bytes) -> None:
    unit = make_unit("宁江市财政局", code="czj")
    clerk = make_user("czj_clerk", unit=unit)
    seals.issue_unit_seal(unit)
    use = SealUse(unit.id, clerk.id, "联合发文用印", SEAL_STEP, True)
    twice = sign_pdf(sealed, use, SealPlacement(center_x=250, center_y=420))
    signatures = PdfFileReader(io.BytesIO(twice)).embedded_signatures
    assert [s.signer_cert.subject.native["serial_number"] for s in signatures] == ["jyj", "czj"]
    result = verify_pdf(twice)
    assert result.valid, result.problems
