"""Verification of sealed PDFs: signature maths, trust in the platform CA, and coverage.

A seal is valid only if the signed bytes are unchanged (intact), the signer's certificate
chains to the platform CA (trusted), and nothing was added after signing except validation
data or the seals of co-issuing units.
Any of those failing is reported in plain Chinese, for the 收文 clerk as well as the auditor.
"""

from __future__ import annotations

import io
from dataclasses import replace

from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature
from pyhanko.sign.validation.status import PdfSignatureStatus, SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

from services.seal.provider import SealProvider, SealVerification, default_provider

FIELD_PREFIX = "Seal-"
APPENDED = "签章后文件被追加修改"
UNREADABLE = "文件无法解析，可能已损坏或被篡改"


def verify_pdf(pdf_bytes: bytes, *, provider: SealProvider | None = None) -> SealVerification:
    """Verify the seals in ``pdf_bytes`` with ``provider`` (the default one when omitted)."""
    return (provider or default_provider()).verify_pdf(pdf_bytes)


def verify_signatures(
    pdf_bytes: bytes, trust_roots: list[asn1_x509.Certificate]
) -> SealVerification:
    """Validate every signature of ``pdf_bytes`` against ``trust_roots`` with pyHanko."""
    try:
        signatures = PdfFileReader(io.BytesIO(pdf_bytes), strict=False).embedded_signatures
    except (PdfError, ValueError, KeyError) as exc:
        return SealVerification(valid=False, intact=False, problems=[f"{UNREADABLE}（{exc}）"])
    if not signatures:
        return SealVerification(valid=False, intact=False, problems=["文件中没有电子印章"])
    verdicts = [_verify_one(signature, trust_roots) for signature in signatures]
    if _has_unexplained_tail(pdf_bytes, signatures[-1]):
        verdicts.append(replace(verdicts[-1], valid=False, problems=[APPENDED]))
    return next((v for v in verdicts if not v.valid), verdicts[-1])


def _has_unexplained_tail(pdf_bytes: bytes, last: EmbeddedPdfSignature) -> bool:
    # Bytes after the final revision belong to no revision, so pyHanko's diff analysis never
    # sees them; a sealed file must end where its last revision ends.
    if pdf_bytes[pdf_bytes.rfind(b"%%EOF") + 5 :].strip():
        return True
    if last.signed_revision != last.reader.total_revisions - 1:
        return False
    _, _, start2, len2 = last.byte_range
    return bool(pdf_bytes[start2 + len2 :].strip())


def _verify_one(
    signature: EmbeddedPdfSignature, trust_roots: list[asn1_x509.Certificate]
) -> SealVerification:
    context = ValidationContext(trust_roots=trust_roots, allow_fetching=False)
    try:
        status = validate_pdf_signature(signature, context)
    except (PdfError, ValueError, KeyError) as exc:
        return SealVerification(
            valid=False,
            intact=False,
            seal_id=_seal_id(signature),
            problems=[f"{UNREADABLE}（{exc}）"],
        )
    problems = _problems(status)
    return SealVerification(
        valid=not problems,
        intact=status.intact and status.valid,
        signer=status.signing_cert.subject.native.get("common_name"),
        signed_at=status.signer_reported_dt,
        seal_id=_seal_id(signature),
        problems=problems,
    )


def _problems(status: PdfSignatureStatus) -> list[str]:
    problems = []
    if not status.intact:
        problems.append("签名范围内的内容已被篡改")
    elif not status.valid:
        problems.append("签名值校验失败")
    if not status.trusted:
        problems.append("签章证书不是由平台印章 CA 签发，或证书已失效")
    if not _coverage_ok(status):
        problems.append(APPENDED)
    return problems


def _coverage_ok(status: PdfSignatureStatus) -> bool:
    # Later revisions may only add validation data or further seals (FORM_FILLING: a joint
    # document is sealed by each issuing unit in turn), never change the content.
    if status.coverage == SignatureCoverageLevel.ENTIRE_FILE:
        return True
    return (
        status.coverage == SignatureCoverageLevel.ENTIRE_REVISION
        and status.modification_level is not None
        and status.modification_level <= ModificationLevel.FORM_FILLING
    )


def _seal_id(signature: EmbeddedPdfSignature) -> str | None:
    name = signature.field_name or ""
    return name[len(FIELD_PREFIX) :] if name.startswith(FIELD_PREFIX) else None
