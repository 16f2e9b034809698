"""Role grants: 三员分立, who may grant, and an audit record for every change."""

from __future__ import annotations

import itertools

import pytest
from flask import Flask
from sqlalchemy import select

from services.audit.models import AuditEvent
from services.db import db
from services.errors import Forbidden, ValidationFailed
from services.org import grants
from services.org.roles import ANALYST, AUDITOR, REGISTRAR, SECADMIN, SYSADMIN
from tests.auth.helpers import make_user

SANYUAN_PAIRS = list(itertools.permutations((SYSADMIN, SECADMIN, AUDITOR), 2))


@pytest.mark.parametrize(("held", "wanted"), SANYUAN_PAIRS)
def test_sanyuan_roles_are_mutually_exclusive(app: Flask, held: str, wanted: str) -> None:
    user = make_user(roles=(held,))
    with pytest.raises(ValidationFailed, match="三员分立"):
        grants.grant_role(user, wanted)
    assert [r.role_code for r in user.roles] == [held]


@pytest.mark.parametrize("held", [SYSADMIN, SECADMIN, AUDITOR])
def test_a_sanyuan_role_combines_with_ordinary_roles(app: Flask, held: str) -> None:
    user = make_user(roles=(held,))
    grants.grant_role(user, REGISTRAR, unit_id=user.unit_id)
    grants.grant_role(user, ANALYST)
    assert {r.role_code for r in user.roles} == {held, REGISTRAR, ANALYST}


def test_revoking_then_granting_another_sanyuan_role_works(app: Flask) -> None:
    user = make_user(roles=(SYSADMIN,))
    grants.revoke_role(user, SYSADMIN)
    grants.grant_role(user, AUDITOR)
    assert [r.role_code for r in user.roles] == [AUDITOR]


@pytest.mark.parametrize("actor_role", [SYSADMIN, AUDITOR, None])
def test_only_the_security_administrator_grants(app: Flask, actor_role: str | None) -> None:
    actor = make_user(roles=(actor_role,) if actor_role else ())
    target = make_user()
    with pytest.raises(Forbidden):
        grants.grant_role(target, REGISTRAR, actor=actor)


def test_security_administrator_cannot_grant_to_self(app: Flask) -> None:
    secadmin = make_user(roles=(SECADMIN,))
    with pytest.raises(Forbidden):
        grants.grant_role(secadmin, ANALYST, actor=secadmin)


def test_every_change_is_audited(app: Flask) -> None:
    secadmin = make_user("sec", roles=(SECADMIN,))
    target = make_user("clerk")
    grants.grant_role(target, REGISTRAR, unit_id=target.unit_id, actor=secadmin)
    grants.revoke_role(target, REGISTRAR, unit_id=target.unit_id, actor=secadmin)
    db.session.flush()
    events = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.action.startswith("org.role_"))
        .where(AuditEvent.username == "sec")
        .order_by(AuditEvent.seq)
    ).all()
    assert [(e.action, e.object_id, e.detail["role"]) for e in events] == [
        ("org.role_grant", str(target.id), REGISTRAR),
        ("org.role_revoke", str(target.id), REGISTRAR),
    ]
