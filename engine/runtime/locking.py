"""The per-instance lock every change of an instance runs under.

PostgreSQL: ``SELECT ... FOR UPDATE`` on the instance row; a second transaction waits until the
first commits, then reads the new revision.

SQLite has no row locks. The first statement of the transaction is an ``UPDATE`` of the instance
row (a no-op on its values), which takes SQLite's database write lock up front: a second writer
blocks on it (busy timeout) instead of reading a state that is about to change. Because the
transaction starts with that write, its snapshot is the latest committed one.

On both, callers then compare the revision they saw (``expected_revision``) and the state of the
task they act on, so the loser of a race gets a ``Conflict`` and nothing is lost.
"""

from __future__ import annotations

from sqlalchemy import select, update

from engine.runtime.models import ProcessInstance
from services.db import db
from services.errors import Conflict, NotFound

STALE_MESSAGE = "该流程已被他人处理，请刷新后重试"


def lock_instance(instance_id: int, *, expected_revision: int | None = None) -> ProcessInstance:
    """Lock the instance row for this transaction and return it freshly read from the database.

    Raises ``NotFound`` for an unknown id and ``Conflict`` when ``expected_revision`` is given
    and the instance has changed since the caller read it.
    """
    if db.engine.dialect.name == "sqlite":
        db.session.execute(
            update(ProcessInstance)
            .where(ProcessInstance.id == instance_id)
            .values(revision=ProcessInstance.revision)
            .execution_options(synchronize_session=False)
        )
        query = select(ProcessInstance).where(ProcessInstance.id == instance_id)
    else:
        query = select(ProcessInstance).where(ProcessInstance.id == instance_id).with_for_update()
    # populate_existing: objects read before the lock may be stale.
    instance = db.session.scalars(query.execution_options(populate_existing=True)).first()
    if instance is None:
        raise NotFound("流程实例不存在", instance_id=instance_id)
    if expected_revision is not None and instance.revision != expected_revision:
        raise Conflict(STALE_MESSAGE, instance_id=instance_id, revision=instance.revision)
    return instance
