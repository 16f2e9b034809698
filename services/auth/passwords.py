"""Password hashing (argon2id) and the password policy of 等保2.0 level 3.

The policy numbers come from ``Settings``: minimum length, character classes, no username inside,
no reuse of the last N passwords, and a maximum age after which the user must change it.
"""

from __future__ import annotations

import functools
import secrets
import string
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select

from services import clock
from services.auth.models import Account, PasswordHistory
from services.config import Settings, current_settings
from services.db import db
from services.org.models import User


@functools.cache
def _hasher_for(time_cost: int, memory_kib: int, parallelism: int) -> tuple[PasswordHasher, str]:
    """The hasher for the configured cost, with a dummy hash made at that same cost.

    The dummy is what an unknown username is verified against, so answering "no such user"
    takes as long as a wrong password and timing does not reveal which usernames exist.
    """
    hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism)
    return hasher, hasher.hash(secrets.token_urlsafe(16))


def _hasher() -> tuple[PasswordHasher, str]:
    s = current_settings()
    return _hasher_for(s.argon2_time_cost, s.argon2_memory_kib, s.argon2_parallelism)


CHARACTER_CLASSES = (
    ("大写字母", str.isupper),
    ("小写字母", str.islower),
    ("数字", str.isdigit),
    ("符号", lambda ch: not ch.isalnum() and not ch.isspace()),
)


def hash_password(password: str) -> str:
    """An argon2id hash of ``password`` with a random salt."""
    return _hasher()[0].hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when ``password`` matches; an unknown user (``None``) costs the same time."""
    hasher, dummy = _hasher()
    try:
        return hasher.verify(password_hash or dummy, password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with weaker parameters than the current ones."""
    return _hasher()[0].check_needs_rehash(password_hash)


def policy_text(settings: Settings | None = None) -> list[str]:
    """The policy in words, for the change-password page."""
    s = settings or current_settings()
    return [
        f"长度不少于 {s.password_min_length} 位",
        f"至少包含大写字母、小写字母、数字、符号中的 {s.password_min_classes} 类",
        "不得包含用户名",
        f"不得与最近 {s.password_history} 次使用过的密码相同",
        f"每 {s.password_max_age_days} 天须更换一次",
    ]


def check_policy(user: User, password: str, settings: Settings | None = None) -> list[str]:
    """Chinese messages for every rule ``password`` breaks for ``user``; empty when it passes."""
    s = settings or current_settings()
    problems = []
    if len(password) < s.password_min_length:
        problems.append(f"密码长度不能少于 {s.password_min_length} 位")
    classes = sum(any(test(ch) for ch in password) for _name, test in CHARACTER_CLASSES)
    if classes < s.password_min_classes:
        problems.append(
            f"密码须至少包含大写字母、小写字母、数字、符号中的 {s.password_min_classes} 类"
        )
    if user.username and user.username.lower() in password.lower():
        problems.append("密码不能包含用户名")
    if user.id is not None and _recently_used(user.id, password, s.password_history):
        problems.append(f"不能使用最近 {s.password_history} 次用过的密码")
    return problems


def _recently_used(user_id: int, password: str, depth: int) -> bool:
    stmt = (
        select(PasswordHistory.password_hash)
        .where(PasswordHistory.user_id == user_id)
        .order_by(PasswordHistory.created_at.desc(), PasswordHistory.id.desc())
        .limit(depth)
    )
    return any(verify_password(h, password) for h in db.session.scalars(stmt))


def is_expired(account: Account, now: datetime | None = None) -> bool:
    """True when the password is older than the maximum age."""
    max_age = timedelta(days=current_settings().password_max_age_days)
    return (now or clock.now()) - account.password_changed_at > max_age


def generate_password(user: User, settings: Settings | None = None) -> str:
    """A random temporary password that satisfies the policy for ``user``."""
    s = settings or current_settings()
    length = max(12, s.password_min_length)
    pools = (string.ascii_uppercase, string.ascii_lowercase, string.digits, "@#%&*+=?!")
    alphabet = "".join(pools)
    while True:
        chars = [secrets.choice(pool) for pool in pools]
        chars += [secrets.choice(alphabet) for _ in range(length - len(chars))]
        secrets.SystemRandom().shuffle(chars)
        candidate = "".join(chars)
        if not check_policy(user, candidate, s):
            return candidate
