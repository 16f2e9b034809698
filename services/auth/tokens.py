"""JWT bearer tokens for the REST API: short-lived access tokens, rotating refresh tokens.

Tokens are HS256 JWTs signed with a key derived from the app secret (so a JWT never verifies as
anything else signed with that secret). Each carries a ``jti`` whose ``ApiToken`` row must still
be live: revoking is deleting the right to use it, not waiting for the expiry. Expiry is checked
against ``clock.now()``, not the wall clock, so tests move time instead of sleeping.

Obtaining tokens goes through ``login.authenticate``: the same lockout, attempt log and audit
trail as the login page. Like ``authenticate``, ``issue_for_credentials`` may raise after adding
rows (the failed attempt); the caller commits in its ``except`` branch. Nothing here commits.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import jwt
from sqlalchemy import delete, update

from services import clock
from services.audit import log as audit
from services.auth import accounts
from services.auth import login as login_service
from services.auth.token_models import ApiToken
from services.config import current_settings
from services.db import db
from services.errors import AuthenticationFailed, Forbidden
from services.org.models import User

ALGORITHM = "HS256"
ISSUER = "zhengwu-oa"
ACCESS_LIFETIME = timedelta(minutes=15)
REFRESH_LIFETIME = timedelta(hours=8)
_KEY_PURPOSE = b"zhengwu-oa api jwt v1"
_REQUIRED_CLAIMS = ["sub", "jti", "typ", "fam", "iat", "exp", "iss"]

UNUSABLE_MESSAGE = "访问令牌无效或已失效，请重新获取令牌"
MUST_CHANGE = "账号需要先修改密码（首次登录、管理员重置或已过期），请登录网页修改后再使用接口"


@dataclass(frozen=True)
class TokenPair:
    """What the token endpoint answers (``expires_in``: seconds the access token lives)."""

    access_token: str
    refresh_token: str
    expires_in: int
    token_type: str = "Bearer"  # noqa: S105  (the OAuth token type, not a secret)


def signing_key() -> bytes:
    """The JWT key: HMAC of a fixed purpose under the app secret."""
    secret = current_settings().secret_key.encode("utf-8")
    return hmac.new(secret, _KEY_PURPOSE, hashlib.sha256).digest()


def issue_for_credentials(
    username: str, password: str, ip: str | None, user_agent: str | None
) -> TokenPair:
    """A new token pair for valid credentials (lockout and audit as on the login page).

    Raises AuthenticationFailed (attempt recorded, caller commits) or Forbidden when the
    account must change its password first.
    """
    user = login_service.authenticate(username, password, ip, user_agent)
    _refuse_forced_change(user)
    pair = _issue_pair(user, family=_new_id())
    audit.record("api.token_issued", user=user, object_type="user", object_id=user.id)
    return pair


def refresh(refresh_token: str) -> TokenPair:
    """Rotate: spend ``refresh_token`` and return a new pair of the same family.

    A refresh token that was already spent revokes its whole family (it was stolen or
    replayed) and is refused.
    """
    claims = _decode(refresh_token, "refresh")
    row = _row(claims)
    if row.revoked_at is not None:
        if row.revoked_reason == "spent":
            _revoke_family(row.family, "reuse")
            audit.record(
                "api.token_reuse", object_type="user", object_id=row.user_id, result="failure"
            )
        raise AuthenticationFailed(UNUSABLE_MESSAGE, code="invalid_token")
    user = _live_user(row.user_id)
    _refuse_forced_change(user)
    _mark(row, "spent")
    return _issue_pair(user, family=row.family)


def user_for_access_token(token: str) -> User:
    """The user an access token speaks for; AuthenticationFailed when it is not usable."""
    claims = _decode(token, "access")
    row = _row(claims)
    if row.revoked_at is not None:
        raise AuthenticationFailed(UNUSABLE_MESSAGE, code="invalid_token")
    user = _live_user(row.user_id)
    _refuse_forced_change(user)
    return user


def revoke(token: str) -> int:
    """Revoke every token of ``token``'s family (its login); expired tokens may be revoked
    too. Returns how many tokens were still live."""
    claims = _decode(token, None, check_expiry=False)
    row = _row(claims)
    count = _revoke_family(row.family, "revoked")
    audit.record(
        "api.token_revoked",
        object_type="user",
        object_id=row.user_id,
        detail={"family": row.family, "count": count},
    )
    return count


def purge_expired(before: datetime | None = None) -> int:
    """Delete rows of tokens expired before ``before`` (now); they can no longer be used."""
    cutoff = before or clock.now()
    result = db.session.execute(delete(ApiToken).where(ApiToken.expires_at < cutoff))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


# ------------------------------------------------------------------------------- internals


def _new_id() -> str:
    return secrets.token_urlsafe(32)


def _issue_pair(user: User, *, family: str) -> TokenPair:
    access = _issue(user, "access", family, ACCESS_LIFETIME)
    refresh_token = _issue(user, "refresh", family, REFRESH_LIFETIME)
    return TokenPair(access, refresh_token, int(ACCESS_LIFETIME.total_seconds()))


def _issue(user: User, kind: str, family: str, lifetime: timedelta) -> str:
    now = clock.now().replace(microsecond=0)
    jti = _new_id()
    expires = now + lifetime
    db.session.add(
        ApiToken(
            jti=jti, family=family, kind=kind, user_id=user.id, issued_at=now, expires_at=expires
        )
    )
    claims = {
        "iss": ISSUER,
        "sub": str(user.id),
        "jti": jti,
        "fam": family,
        "typ": kind,
        "iat": int(now.timestamp()),
        "exp": int(expires.timestamp()),
    }
    return jwt.encode(claims, signing_key(), algorithm=ALGORITHM)


def _decode(token: str, kind: str | None, *, check_expiry: bool = True) -> dict[str, Any]:
    """Verify signature, issuer and type; expiry against our clock (PyJWT's would use the
    wall clock)."""
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            signing_key(),
            algorithms=[ALGORITHM],
            issuer=ISSUER,
            options={"require": _REQUIRED_CLAIMS, "verify_exp": False, "verify_iat": False},
        )
    except jwt.PyJWTError as exc:
        raise AuthenticationFailed(UNUSABLE_MESSAGE, code="invalid_token") from exc
    if kind is not None and claims.get("typ") != kind:
        raise AuthenticationFailed(UNUSABLE_MESSAGE, code="invalid_token")
    if check_expiry and _expired(claims):
        raise AuthenticationFailed("访问令牌已过期，请刷新或重新获取令牌", code="token_expired")
    return claims


def _expired(claims: dict[str, Any]) -> bool:
    try:
        return int(claims["exp"]) <= clock.now().timestamp()
    except (TypeError, ValueError):
        return True


def _row(claims: dict[str, Any]) -> ApiToken:
    row = db.session.get(ApiToken, str(claims["jti"]))
    if row is None or str(row.user_id) != str(claims["sub"]):
        raise AuthenticationFailed(UNUSABLE_MESSAGE, code="invalid_token")
    return row


def _live_user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None or not user.active:
        raise AuthenticationFailed("账号已停用，请联系系统管理员", code="invalid_token")
    return user


def _refuse_forced_change(user: User) -> None:
    if accounts.needs_password_change(user):
        raise Forbidden(MUST_CHANGE, code="password_change_required")


def _mark(row: ApiToken, reason: str) -> None:
    row.revoked_at = clock.now()
    row.revoked_reason = reason


def _revoke_family(family: str, reason: str) -> int:
    result = db.session.execute(
        update(ApiToken)
        .where(ApiToken.family == family, ApiToken.revoked_at.is_(None))
        .values(revoked_at=clock.now(), revoked_reason=reason)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
