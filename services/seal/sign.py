"""Applying a unit's seal to a PDF, only at the 用印 step of an approved document.

``sign_pdf`` is the one entry point: it asks ``may_use_seal``, and either signs through the
seal provider or refuses. Every use and every refusal is written to the audit log and to
``SealUseLog``; a refusal is recorded *then* raised, so the caller must commit after catching
it (as for failed logins).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from services.audit import log as audit
from services.db import db
from services.errors import Forbidden, NotFound, OAError
from services.org.models import User
from services.seal.models import USE_REFUSED, USE_SIGNED, SealUseLog, UnitSeal
from services.seal.provider import SealPlacement, SealProvider, default_provider
from services.seal.seals import find_active_seal

# The name of the process step at which seals may be used (the 用印 user task of 发文).
SEAL_STEP = "用印"


@dataclass(frozen=True)
class SealUse:
    """Who asks to seal what, where in which process, and whether the document is approved."""

    unit_id: int
    user_id: int
    purpose: str
    step: str
    approved: bool
    reference: str | None = None  # process instance / task, e.g. "fawen:12/task:88"


@dataclass(frozen=True)
class SealDecision:
    """The policy's answer; ``reason`` (Chinese) says why a use is refused."""

    allowed: bool
    reason: str | None = None


def may_use_seal(unit_id: int, user: User | None, step: str, approved: bool) -> SealDecision:
    """The seal-use policy: an active user of the unit, at 用印, of an approved document."""
    if user is None or not user.active:
        return SealDecision(False, "用印人账号无效")
    if step != SEAL_STEP:
        return SealDecision(False, f"只能在“{SEAL_STEP}”环节使用印章，当前环节为“{step}”")
    if not approved:
        return SealDecision(False, "文件尚未签发，不能用印")
    if user.unit_id != unit_id:
        return SealDecision(False, "只能使用本单位的印章")
    return SealDecision(True)


def sign_pdf(
    pdf_bytes: bytes,
    use: SealUse,
    placement: SealPlacement,
    *,
    provider: SealProvider | None = None,
) -> bytes:
    """Seal ``pdf_bytes`` with the active seal of ``use.unit_id`` and return the sealed PDF.

    Raises Forbidden (policy) or NotFound (no seal) after recording the refusal.
    """
    user = db.session.get(User, use.user_id)
    decision = may_use_seal(use.unit_id, user, use.step, use.approved)
    if not decision.allowed:
        _refuse(use, user, Forbidden(decision.reason or "不允许用印"))
    seal = find_active_seal(use.unit_id)
    if seal is None:
        _refuse(use, user, NotFound("本单位尚未制发电子印章"))
    assert seal is not None  # _refuse always raises; this narrows the type for mypy
    sealed = (provider or default_provider()).sign_pdf(pdf_bytes, seal, placement, use.purpose)
    _record(use, user, seal, USE_SIGNED, None, hashlib.sha256(sealed).hexdigest())
    return sealed


def _refuse(use: SealUse, user: User | None, error: OAError) -> None:
    _record(use, user, None, USE_REFUSED, error.message, None)
    raise error


def _record(
    use: SealUse,
    user: User | None,
    seal: UnitSeal | None,
    result: str,
    reason: str | None,
    digest: str | None,
) -> None:
    entry = SealUseLog(
        unit_id=use.unit_id,
        seal_id=seal.id if seal else None,
        user_id=user.id if user else None,
        purpose=use.purpose[:200],
        reference=use.reference,
        step=use.step[:100],
        result=result,
        reason=reason,
        document_sha256=digest,
    )
    db.session.add(entry)
    db.session.flush()
    audit.record(
        "seal.use",
        user=user,
        object_type="seal",
        object_id=seal.id if seal else None,
        result="success" if result == USE_SIGNED else "failure",
        detail={
            "unit_id": use.unit_id,
            "step": use.step,
            "purpose": use.purpose,
            "reference": use.reference,
            "reason": reason,
            "use_log_id": entry.id,
        },
    )
