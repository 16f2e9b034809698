"""Tables of the seal service: the unit seals and the log of every seal use and refusal.

Private keys are never stored in the database: ``key_file`` names a 0600 file under
var/seal/ (the key store), so a database dump does not carry the power to seal.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from services import clock
from services.db import UTCDateTime, db
from services.org.models import Unit

SEAL_ACTIVE = "active"
SEAL_REVOKED = "revoked"

USE_SIGNED = "signed"
USE_REFUSED = "refused"


class UnitSeal(db.Model):  # type: ignore[name-defined]
    """A unit's official seal (单位公章): picture, certificate and where its key is kept."""

    __tablename__ = "seal_unit_seal"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stable identifier of the seal (GB/T 38540 esID), printed in the signature's name.
    seal_code: Mapped[str] = mapped_column(String(40), unique=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20), default=SEAL_ACTIVE)
    algorithm: Mapped[str] = mapped_column(String(40))
    certificate_pem: Mapped[str] = mapped_column(Text)
    certificate_serial: Mapped[str] = mapped_column(String(64))
    image_png: Mapped[bytes] = mapped_column(LargeBinary)
    key_file: Mapped[str] = mapped_column(String(200))
    valid_from: Mapped[datetime] = mapped_column(UTCDateTime)
    valid_to: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("org_user.id"))

    unit: Mapped[Unit] = relationship()


class SealUseLog(db.Model):  # type: ignore[name-defined]
    """One attempt to use a seal: who, for what, at which step, and whether it was allowed."""

    __tablename__ = "seal_use_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now, index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), index=True)
    seal_id: Mapped[int | None] = mapped_column(ForeignKey("seal_unit_seal.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("org_user.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(200))
    # Process instance / task the use belongs to, e.g. "fawen:42/task:7".
    reference: Mapped[str | None] = mapped_column(String(200))
    step: Mapped[str | None] = mapped_column(String(100))
    result: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(String(300))
    # SHA-256 of the sealed PDF, so a presented file can be matched to its use.
    document_sha256: Mapped[str | None] = mapped_column(String(64))
