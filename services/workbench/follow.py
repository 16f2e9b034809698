"""关注: follow and unfollow process instances, list and count what a user follows.

Whether the user may see the instance is the caller's check (the web layer asks the engine);
this module only keeps the list.
"""

from __future__ import annotations

from sqlalchemy import func, select

from services import clock
from services.db import db
from services.workbench.models import Follow


def follow(user_id: int, instance_id: int) -> bool:
    """Follow an instance; False when already followed (following twice is harmless)."""
    if is_following(user_id, instance_id):
        return False
    db.session.add(Follow(user_id=user_id, instance_id=instance_id, created_at=clock.now()))
    db.session.flush()
    return True


def unfollow(user_id: int, instance_id: int) -> bool:
    """Stop following; False when the instance was not followed."""
    row = db.session.get(Follow, (user_id, instance_id))
    if row is None:
        return False
    db.session.delete(row)
    db.session.flush()
    return True


def is_following(user_id: int, instance_id: int) -> bool:
    """Whether the user follows the instance."""
    return db.session.get(Follow, (user_id, instance_id)) is not None


def count(user_id: int) -> int:
    """How many instances the user follows."""
    return db.session.scalar(select(func.count()).where(Follow.user_id == user_id)) or 0


def followed_ids(user_id: int, *, page: int = 1, per_page: int = 20) -> list[int]:
    """One page of followed instance ids, newest follow first."""
    stmt = (
        select(Follow.instance_id)
        .where(Follow.user_id == user_id)
        .order_by(Follow.created_at.desc(), Follow.instance_id.desc())
        .limit(per_page)
        .offset((max(page, 1) - 1) * per_page)
    )
    return list(db.session.scalars(stmt))
