"""Authentication with lockout (等保2.0 level 3: login failure handling).

``lockout_threshold`` failures within ``lockout_window_minutes`` lock the account for
``lockout_minutes``; while locked even the right password is refused. Every attempt is stored
with IP and time, and a lockout alerts the system and security administrators in-app.

``authenticate`` records the attempt and *then* raises, so the caller (the route) must commit
in its ``except`` branch: failures are evidence and must survive the refusal.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import NoReturn

from sqlalchemy import func, select

from services import clock
from services.audit import log as audit
from services.auth import passwords
from services.auth.models import Account, LoginAttempt
from services.config import current_settings
from services.db import db
from services.errors import AuthenticationFailed
from services.notify.inapp import send_in_app
from services.org import grants
from services.org.models import User
from services.org.roles import SECADMIN, SYSADMIN

# Same words for an unknown user and a wrong password: the answer must not reveal which.
WRONG_CREDENTIALS = "用户名或密码错误"
BEIJING = timezone(timedelta(hours=8), "Asia/Shanghai")


def beijing_time(value: datetime) -> str:
    """``value`` as Beijing wall-clock time for messages."""
    return value.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")


def locked_message(until: datetime) -> str:
    """What a user of a locked account is told."""
    when = beijing_time(until)
    return f"登录失败次数过多，账号已锁定，请于 {when}（北京时间）后再试或联系安全管理员"


def authenticate(username: str, password: str, ip: str | None, user_agent: str | None) -> User:
    """The user whose credentials these are; raises AuthenticationFailed otherwise (after
    recording the attempt in the session, which the caller commits)."""
    username = username.strip()
    user = db.session.scalar(select(User).where(User.username == username))
    account = db.session.get(Account, user.id) if user is not None else None
    now = clock.now()
    attempt = _Attempt(username, user, ip, user_agent, now)
    if user is None or account is None:
        passwords.verify_password(None, password)  # spend the time a real check takes
        attempt.fail("unknown_user", WRONG_CREDENTIALS)
    if account.locked_until is not None and account.locked_until > now:
        attempt.fail("locked", locked_message(account.locked_until))
    if not passwords.verify_password(account.password_hash, password):
        _count_failure(attempt, account)
    if not user.active:
        attempt.fail("inactive", "账号已停用，请联系系统管理员")
    _succeed(attempt, account, password)
    return user


class _Attempt:
    """One login attempt: records itself as a LoginAttempt row and an audit event."""

    def __init__(
        self, username: str, user: User | None, ip: str | None, ua: str | None, at: datetime
    ) -> None:
        self.username, self.user, self.ip, self.ua, self.at = username, user, ip, ua, at

    def store(self, success: bool, reason: str) -> None:
        db.session.add(
            LoginAttempt(
                username=self.username[:64],
                user_id=self.user.id if self.user is not None else None,
                ip=self.ip,
                user_agent=(self.ua or "")[:300] or None,
                at=self.at,
                success=success,
                reason=reason,
            )
        )

    def audit(self, action: str, result: str, **detail: object) -> None:
        audit.record(
            action,
            user=self.user,
            ip=self.ip,
            user_agent=self.ua,
            object_type="user",
            object_id=self.user.id if self.user is not None else None,
            result=result,
            detail={"username": self.username[:64], **detail},
        )

    def fail(self, reason: str, message: str) -> NoReturn:
        self.store(False, reason)
        self.audit("auth.login_failed", "failure", reason=reason)
        raise AuthenticationFailed(message, code="login_failed")

    def succeed(self) -> None:
        self.store(True, "ok")
        self.audit("auth.login", "success")


def _count_failure(attempt: _Attempt, account: Account) -> NoReturn:
    """Record a wrong password and lock the account when it is one too many."""
    settings = current_settings()
    attempt.store(False, "bad_password")
    attempt.audit("auth.login_failed", "failure", reason="bad_password")
    db.session.flush()
    if _recent_failures(account, attempt.at) >= settings.lockout_threshold:
        _lock(attempt, account)
        raise AuthenticationFailed(locked_message(account.locked_until or attempt.at))
    raise AuthenticationFailed(WRONG_CREDENTIALS, code="login_failed")


def _recent_failures(account: Account, now: datetime) -> int:
    since = now - timedelta(minutes=current_settings().lockout_window_minutes)
    if account.failures_counted_from is not None:
        since = max(since, account.failures_counted_from)
    stmt = select(func.count()).where(
        LoginAttempt.user_id == account.user_id,
        LoginAttempt.reason == "bad_password",
        LoginAttempt.at >= since,
    )
    return db.session.scalar(stmt) or 0


def _lock(attempt: _Attempt, account: Account) -> None:
    account.locked_until = attempt.at + timedelta(minutes=current_settings().lockout_minutes)
    # Failures up to and including this one are spent; a new series starts after the lock.
    account.failures_counted_from = attempt.at + timedelta(microseconds=1)
    attempt.audit("auth.lockout", "failure", locked_until=account.locked_until.isoformat())
    _alert_admins(attempt, account.locked_until)


def _alert_admins(attempt: _Attempt, until: datetime) -> None:
    admin_ids = [u.id for code in (SYSADMIN, SECADMIN) for u in grants.holders(code)]
    user = attempt.user
    name = f"{user.name}（{user.username}）" if user is not None else attempt.username
    body = (
        f"账号 {name} 在 {beijing_time(attempt.at)} 因连续登录失败被锁定至 {beijing_time(until)}，"
        f"最后一次尝试来自 IP {attempt.ip or '未知'}。"
    )
    send_in_app(admin_ids, "security", f"账号锁定告警：{attempt.username}", body)


def _succeed(attempt: _Attempt, account: Account, password: str) -> None:
    account.locked_until = None
    account.failures_counted_from = attempt.at
    if passwords.needs_rehash(account.password_hash):
        account.password_hash = passwords.hash_password(password)
    attempt.succeed()
