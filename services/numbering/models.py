"""Tables of the numbering service: counters per (scope, key, year) and every number issued."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from services import clock
from services.db import UTCDateTime, db

# Counter scopes: 发文字号 per 机关代字, 收文号 per receiving unit.
SCOPE_OUTGOING = "fawen"
SCOPE_RECEIPT = "shouwen"


class NumberCounter(db.Model):  # type: ignore[name-defined]
    """The next free sequence number of one (scope, key, year); rows are only ever incremented."""

    __tablename__ = "numbering_counter"
    __table_args__ = (UniqueConstraint("scope", "key", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(16))
    # 机关代字 for 发文; for 收文 the unit id as text, or "unit id:收文类别" (收办 …) per class.
    key: Mapped[str] = mapped_column(String(40))
    year: Mapped[int] = mapped_column(Integer)
    next_seq: Mapped[int] = mapped_column(Integer, default=1)


class IssuedNumber(db.Model):  # type: ignore[name-defined]
    """One number handed out; voiding keeps the row (and the number stays used)."""

    __tablename__ = "numbering_issued"
    __table_args__ = (UniqueConstraint("scope", "issuer_code", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(16), default=SCOPE_OUTGOING)
    number: Mapped[str] = mapped_column(String(60))
    # 机关代字 for 发文; the receiving unit id as text for 收文 ("unit id:收文类别" per class).
    issuer_code: Mapped[str] = mapped_column(String(40), index=True)
    year: Mapped[int] = mapped_column(Integer)
    seq: Mapped[int] = mapped_column(Integer)
    # What the number was given to (a process instance or document id), when known.
    ref: Mapped[str | None] = mapped_column(String(64), index=True)
    issued_by: Mapped[int | None] = mapped_column(ForeignKey("org_user.id"))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    voided_by: Mapped[int | None] = mapped_column(ForeignKey("org_user.id"))
    void_reason: Mapped[str | None] = mapped_column(String(200))


class IssuerCodeRule(db.Model):  # type: ignore[name-defined]
    """An explicit 机关代字 for a unit and 文种, overriding the derived default."""

    __tablename__ = "numbering_issuer_rule"
    __table_args__ = (UniqueConstraint("unit_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), index=True)
    # A 文种 (函, 纪要 ...) or "办公室" for documents issued by the unit's office.
    kind: Mapped[str] = mapped_column(String(20))
    issuer_code: Mapped[str] = mapped_column(String(40))
