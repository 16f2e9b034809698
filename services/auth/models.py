"""Tables of accounts, password history, login attempts and server-side login sessions.

Credentials live apart from the organisation directory so that a directory import never
touches a password hash, and so that only this package reads them.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from services import clock
from services.db import UTCDateTime, db
from services.org.models import User


class Account(db.Model):  # type: ignore[name-defined]
    """The credentials of one user (argon2 hash) and the state of its login security."""

    __tablename__ = "auth_account"

    user_id: Mapped[int] = mapped_column(ForeignKey("org_user.id"), primary_key=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    password_changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=True)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Failed attempts before this moment no longer count towards a lockout (set by a successful
    # login, a lockout and an unlock), so one series of failures locks the account only once.
    failures_counted_from: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Second factor (TOTP), enrolled later; NULL means not enrolled.
    totp_secret: Mapped[str | None] = mapped_column(String(64))

    user: Mapped[User] = relationship()


class PasswordHistory(db.Model):  # type: ignore[name-defined]
    """Hashes of the passwords a user has had, newest last, to refuse reuse."""

    __tablename__ = "auth_password_history"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("org_user.id"), index=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)


class LoginAttempt(db.Model):  # type: ignore[name-defined]
    """Every login attempt with the client's IP and time (等保: record failures)."""

    __tablename__ = "auth_login_attempt"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("org_user.id"), index=True)
    ip: Mapped[str | None] = mapped_column(String(45))
    user_agent: Mapped[str | None] = mapped_column(String(300))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now, index=True)
    success: Mapped[bool] = mapped_column(Boolean)
    # bad_password, unknown_user, inactive, locked, ok
    reason: Mapped[str] = mapped_column(String(20))


class LoginSession(db.Model):  # type: ignore[name-defined]
    """A server-side session. Only the SHA-256 of the cookie token is stored, so a leaked
    database row cannot be replayed as a cookie."""

    __tablename__ = "auth_login_session"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("org_user.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ip: Mapped[str | None] = mapped_column(String(45))
    user_agent: Mapped[str | None] = mapped_column(String(300))
    must_change: Mapped[bool] = mapped_column(Boolean, default=False)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()
