"""Granting and revoking roles, with 三员分立 enforced and every change audited.

The security administrator grants roles; ``actor=None`` means the operator's CLI or the
first-run setup. A user may hold at most one role of an ``exclusive_group``.
"""

from __future__ import annotations

from sqlalchemy import select

from services.audit import log as audit
from services.db import db
from services.errors import Forbidden, NotFound, ValidationFailed
from services.org.models import Role, User, UserRole
from services.org.roles import BUILTIN_ROLES, SECADMIN, SYSADMIN


def has_role(user: User, role_code: str) -> bool:
    """True when ``user`` holds ``role_code`` in any unit."""
    return any(held.role_code == role_code for held in user.roles)


def role(code: str) -> Role:
    """The role ``code``; a built-in role is created on first use, so a fresh database works."""
    found = db.session.get(Role, code)
    if found is not None:
        return found
    builtin = next((r for r in BUILTIN_ROLES if r.code == code), None)
    if builtin is None:
        raise NotFound(f"角色 {code} 不存在")
    found = Role(
        code=builtin.code,
        name=builtin.name,
        exclusive_group=builtin.exclusive_group,
        description=builtin.description,
    )
    db.session.add(found)
    return found


def _check_actor(actor: User | None, target: User) -> None:
    if actor is None:
        return
    if not has_role(actor, SECADMIN):
        raise Forbidden("只有安全管理员可以授予或撤销角色")
    if actor.id == target.id:
        raise Forbidden("不能为自己授予或撤销角色")


def _check_exclusive(user: User, new: Role) -> None:
    if new.exclusive_group is None:
        return
    for held in user.roles:
        other = held.role
        if other.code != new.code and other.exclusive_group == new.exclusive_group:
            raise ValidationFailed(
                f"三员分立：{user.name} 已是{other.name}，不能再授予{new.name}",
                errors={"role": "系统管理员、安全管理员、审计管理员三者互斥"},
            )


def grant_role(
    user: User, role_code: str, unit_id: int | None = None, actor: User | None = None
) -> UserRole:
    """Give ``user`` the role (optionally within one unit); returns the existing grant if any."""
    _check_actor(actor, user)
    new = role(role_code)
    existing = _find(user, role_code, unit_id)
    if existing is not None:
        return existing
    _check_exclusive(user, new)
    grant = UserRole(user=user, role=new, role_code=new.code, unit_id=unit_id)
    db.session.add(grant)
    _audit("org.role_grant", user, new, unit_id, actor)
    return grant


def revoke_role(
    user: User, role_code: str, unit_id: int | None = None, actor: User | None = None
) -> None:
    """Take the role away from ``user``."""
    _check_actor(actor, user)
    grant = _find(user, role_code, unit_id)
    if grant is None:
        raise NotFound("该用户没有此角色")
    user.roles.remove(grant)
    _audit("org.role_revoke", user, grant.role, unit_id, actor)


def _find(user: User, role_code: str, unit_id: int | None) -> UserRole | None:
    return next((g for g in user.roles if g.role_code == role_code and g.unit_id == unit_id), None)


def _audit(action: str, user: User, granted: Role, unit_id: int | None, actor: User | None) -> None:
    audit.record(
        action,
        user=actor,
        object_type="user",
        object_id=user.id,
        detail={"target": user.username, "role": granted.code, "unit_id": unit_id},
    )


def holders(role_code: str, *, active_only: bool = True) -> list[User]:
    """Users holding ``role_code`` in any unit."""
    stmt = select(User).join(UserRole, UserRole.user_id == User.id)
    stmt = stmt.where(UserRole.role_code == role_code).distinct().order_by(User.id)
    if active_only:
        stmt = stmt.where(User.active.is_(True))
    return list(db.session.scalars(stmt))


def has_system_admin() -> bool:
    """True once some active user holds 系统管理员 (the first-run setup is then closed)."""
    return bool(holders(SYSADMIN))
