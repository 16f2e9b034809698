"""Accounts: setting, changing and resetting passwords, unlocking, and the first administrator.

There is no default password anywhere: the first system administrator is created by
``oa create-admin`` or the first-run page, each with a password the operator chooses.
"""

from __future__ import annotations

from sqlalchemy import delete, select

from services import clock
from services.audit import log as audit
from services.auth import passwords, sessions
from services.auth.models import Account, PasswordHistory
from services.config import current_settings
from services.db import db
from services.errors import Forbidden, ValidationFailed
from services.org import grants
from services.org.models import Position, Unit, User
from services.org.roles import SECADMIN, SYSADMIN

OPS_UNIT_CODE = "ops"
OPS_POSITION_CODE = "platform_admin"


def account_of(user: User) -> Account | None:
    """The credentials row of ``user`` (``None`` until a password is set)."""
    return db.session.get(Account, user.id)


def needs_password_change(user: User) -> bool:
    """True when the user must change the password before doing anything else."""
    account = account_of(user)
    return account is None or account.must_change_password or passwords.is_expired(account)


def _store(user: User, password_hash: str, *, must_change: bool) -> Account:
    account = account_of(user)
    if account is None:
        account = Account(user_id=user.id)
        db.session.add(account)
    account.password_hash = password_hash
    account.password_changed_at = clock.now()
    account.must_change_password = must_change
    db.session.add(PasswordHistory(user_id=user.id, password_hash=password_hash))
    _prune_history(user)
    return account


def _prune_history(user: User) -> None:
    """Keep only the hashes the reuse rule needs: old hashes are residual information."""
    db.session.flush()
    keep = max(1, current_settings().password_history)
    stale = (
        select(PasswordHistory.id)
        .where(PasswordHistory.user_id == user.id)
        .order_by(PasswordHistory.created_at.desc(), PasswordHistory.id.desc())
        .offset(keep)
    )
    stale_ids = list(db.session.scalars(stale))
    if stale_ids:
        db.session.execute(delete(PasswordHistory).where(PasswordHistory.id.in_(stale_ids)))


def _checked_hash(user: User, password: str) -> str:
    db.session.flush()  # the user needs an id for its password history
    problems = passwords.check_policy(user, password)
    if problems:
        raise ValidationFailed("密码不符合安全策略", errors={"password": "；".join(problems)})
    return passwords.hash_password(password)


def set_password(
    user: User, password: str, *, must_change: bool, actor: User | None = None
) -> None:
    """Set a policy-checked password; raises ValidationFailed listing the rules it breaks."""
    _store(user, _checked_hash(user, password), must_change=must_change)
    audit.record(
        "auth.password_set",
        user=actor,
        object_type="user",
        object_id=user.id,
        detail={"target": user.username, "must_change": must_change},
    )


def set_password_hash(user: User, password_hash: str, *, must_change: bool) -> None:
    """Store a ready-made hash without policy or audit (bulk loading of demo accounts only)."""
    db.session.flush()
    _store(user, password_hash, must_change=must_change)


def change_password(user: User, old: str, new: str) -> None:
    """The user changes their own password, proving the old one first."""
    account = account_of(user)
    if account is None or not passwords.verify_password(account.password_hash, old):
        audit.record(
            "auth.password_change",
            user=user,
            result="failure",
            object_type="user",
            object_id=user.id,
            detail={"reason": "旧密码不正确"},
        )
        raise ValidationFailed("原密码不正确", errors={"old_password": "原密码不正确"})
    _store(user, _checked_hash(user, new), must_change=False)
    sessions.clear_must_change(user)
    audit.record("auth.password_change", user=user, object_type="user", object_id=user.id)


def _require_secadmin(actor: User | None, what: str) -> None:
    if actor is not None and not grants.has_role(actor, SECADMIN):
        raise Forbidden(f"只有安全管理员可以{what}")


def admin_reset_password(target: User, actor: User) -> str:
    """A security administrator resets ``target``'s password to a random temporary one, which
    must be changed at the next login; all of ``target``'s sessions end. Returns it once."""
    if not grants.has_role(actor, SECADMIN):
        raise Forbidden("只有安全管理员可以重置密码")
    temporary = passwords.generate_password(target)
    account = _store(target, passwords.hash_password(temporary), must_change=True)
    # The user who forgot the password has often locked the account trying: open it again.
    account.locked_until = None
    account.failures_counted_from = clock.now()
    sessions.end_user_sessions(target)
    audit.record(
        "auth.password_reset",
        user=actor,
        object_type="user",
        object_id=target.id,
        detail={"target": target.username},
    )
    return temporary


def unlock(target: User, actor: User | None) -> None:
    """Lift a lockout before it expires (安全管理员; ``actor=None`` is the operator's CLI)."""
    _require_secadmin(actor, "解锁账号")
    account = account_of(target)
    if account is not None:
        account.locked_until = None
        account.failures_counted_from = clock.now()
    audit.record(
        "auth.unlock",
        user=actor,
        object_type="user",
        object_id=target.id,
        detail={"target": target.username},
    )


def create_admin(username: str, name: str, password: str, role_code: str = SYSADMIN) -> User:
    """Create an administrator in the top unit (a unit 平台运维 is made on an empty directory)."""
    missing = {k: "必填" for k, v in (("username", username), ("name", name)) if not v.strip()}
    if missing:
        raise ValidationFailed("请填写用户名和姓名", errors=missing)
    if db.session.scalar(select(User.id).where(User.username == username)) is not None:
        raise ValidationFailed(f"用户名 {username} 已存在", errors={"username": "用户名已存在"})
    user = User(username=username, name=name, unit=_top_unit(), position=_ops_position())
    db.session.add(user)
    set_password(user, password, must_change=False)
    grants.grant_role(user, role_code)
    audit.record(
        "auth.admin_created",
        object_type="user",
        object_id=user.id,
        detail={"target": username, "role": role_code},
    )
    return user


def _top_unit() -> Unit:
    stmt = select(Unit).where(Unit.parent_id.is_(None)).order_by(Unit.sort_order, Unit.id)
    unit = db.session.scalars(stmt.limit(1)).first()
    if unit is None:
        unit = Unit(code=OPS_UNIT_CODE, name="平台运维", short_name="平台运维", kind="department")
        db.session.add(unit)
    return unit


def _ops_position() -> Position:
    position = db.session.get(Position, OPS_POSITION_CODE)
    if position is None:
        position = Position(code=OPS_POSITION_CODE, name="平台管理员", rank=90, data_scope="self")
        db.session.add(position)
    return position
