"""Small factories for notify tests."""

from __future__ import annotations

from sqlalchemy import select

from services.db import db
from services.notify import preferences
from services.notify.models import OutboxMessage
from services.org.models import User
from tests.auth.helpers import make_user


def recipient(username: str = "zhang", **channels: list[str]) -> User:
    """A user with an e-mail address and a mobile number who chose ``channels`` per kind."""
    user = make_user(username, name="张科员")
    user.email, user.mobile = f"{username}@example.gov.cn", "13800138000"
    preferences.save_preferences(user.id, channels)
    db.session.commit()
    return user


def outbox_rows() -> list[OutboxMessage]:
    """Every outbox row, freshly read."""
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
