"""Server-side login sessions with idle and absolute timeouts.

The browser holds only a random token; the table holds its SHA-256, so neither a stolen
database row nor the cookie alone tells the other. Ending a session deletes its row: nothing
of it is left behind (等保: residual information).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, update

from services import clock
from services.auth.models import LoginSession
from services.config import current_settings
from services.db import db
from services.org.models import User


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def start_session(
    user: User, ip: str | None, user_agent: str | None, *, must_change: bool = False
) -> str:
    """Open a session for ``user`` and return the token for the cookie (shown only once)."""
    token = secrets.token_urlsafe(32)
    now = clock.now()
    db.session.add(
        LoginSession(
            token_hash=_digest(token),
            user_id=user.id,
            created_at=now,
            last_seen_at=now,
            ip=ip,
            user_agent=(user_agent or "")[:300] or None,
            must_change=must_change,
        )
    )
    return token


def resolve_session(token: str) -> LoginSession | None:
    """The live session of ``token``, touched; ``None`` (and the row deleted) when it has
    been idle or open too long, was revoked, or its user was deactivated."""
    row = db.session.get(LoginSession, _digest(token))
    if row is None:
        return None
    now = clock.now()
    if _is_expired(row, now) or row.revoked_at is not None or not row.user.active:
        db.session.delete(row)
        return None
    row.last_seen_at = now
    return row


def _is_expired(row: LoginSession, now: datetime) -> bool:
    settings = current_settings()
    idle = now - row.last_seen_at >= timedelta(minutes=settings.session_idle_minutes)
    absolute = now - row.created_at >= timedelta(hours=settings.session_absolute_hours)
    return idle or absolute


def end_session(token: str) -> None:
    """Delete the session of ``token`` (logout)."""
    db.session.execute(delete(LoginSession).where(LoginSession.token_hash == _digest(token)))


def end_user_sessions(user: User) -> int:
    """Delete every session of ``user`` (password reset, deactivation); returns how many."""
    result = db.session.execute(delete(LoginSession).where(LoginSession.user_id == user.id))
    return int(getattr(result, "rowcount", 0) or 0)


def clear_must_change(user: User) -> None:
    """Lift the forced password change from every open session of ``user``."""
    db.session.execute(
        update(LoginSession).where(LoginSession.user_id == user.id).values(must_change=False)
    )
