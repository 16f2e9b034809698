"""The per-instance lock: a second writer waits for the first, then sees its revision."""

from __future__ import annotations

import threading

import pytest

from engine.runtime.locking import lock_instance
from services.db import db
from services.errors import Conflict, NotFound
from tests.engine.runtime.conftest import make_bare_instance


def test_unknown_instance_is_not_found(app) -> None:
    with pytest.raises(NotFound, match="流程实例不存在"):
        lock_instance(424242)


def test_stale_expected_revision_is_a_conflict(people) -> None:
    instance = make_bare_instance(people.starter)
    instance.revision = 3
    db.session.commit()
    assert lock_instance(instance.id, expected_revision=3).revision == 3
    db.session.rollback()
    with pytest.raises(Conflict, match="已被他人处理"):
        lock_instance(instance.id, expected_revision=2)


def test_second_locker_blocks_until_the_first_commits(app, people) -> None:
    instance = make_bare_instance(people.starter)
    db.session.commit()
    instance_id = instance.id
    first_locked, second_done = threading.Event(), threading.Event()
    seen: list[int] = []

    def second() -> None:
        first_locked.wait(timeout=10)
        with app.app_context():
            try:
                seen.append(lock_instance(instance_id).revision)
                db.session.rollback()
            finally:
                db.session.remove()
                second_done.set()

    thread = threading.Thread(target=second)
    thread.start()
    with app.app_context():
        try:
            lock_instance(instance_id).revision = 7
            db.session.flush()
            first_locked.set()
            blocked = not second_done.wait(timeout=0.5)
            db.session.commit()
        finally:
            db.session.remove()
    thread.join(timeout=60)
    assert blocked
    assert seen == [7]
