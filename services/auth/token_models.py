"""The API token table: one row per issued JWT, so any token can be revoked before it expires.

A token is valid only while its row exists and is not revoked; the JWT signature proves who
issued it, the row proves it is still wanted. Tokens issued together (one login, then each
refresh) share a ``family``: reusing a spent refresh token revokes the whole family, because
only a thief would hold a refresh token that was already rotated.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from services.db import UTCDateTime, db


class ApiToken(db.Model):  # type: ignore[name-defined]
    """An issued access or refresh token, identified by its ``jti``."""

    __tablename__ = "auth_api_token"
    __table_args__ = (Index("ix_auth_api_token_family", "family"),)

    jti: Mapped[str] = mapped_column(String(43), primary_key=True)
    family: Mapped[str] = mapped_column(String(43))
    kind: Mapped[str] = mapped_column(String(10))  # access, refresh
    user_id: Mapped[int] = mapped_column(ForeignKey("org_user.id"), index=True)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # spent (rotated), revoked (by the user), reuse (a spent refresh token came back)
    revoked_reason: Mapped[str | None] = mapped_column(String(20))
