"""The per-instance lock every change of an instance runs under.

PostgreSQL: ``SELECT ... FOR UPDATE`` on the instance row; a second transaction waits until the
first commits, then reads the new revision.

SQLite has no row locks. The first statement of the transaction is an ``UPDATE`` of the instance
row (a no-op on its values), which takes SQLite's database write lock up front: a second writer
blocks on it (busy timeout) instead of reading a state that is about to change. Because the
transaction starts with that write, its snapshot is the latest committed one; the ``UPDATE``
returns the row (``RETURNING``), so locking and reading is one statement.

On both, callers then compare the revision they saw (``expected_revision``) and the state of the
task they act on, so the loser of a race gets a ``Conflict`` and nothing is lost.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, select, update

from engine.runtime.direct import Direct
from engine.runtime.models import HumanTask, ProcessInstance
from engine.runtime.reads import adopt, columns_of, table_of
from services.db import db
from services.errors import Conflict, NotFound

STALE_MESSAGE = "该流程已被他人处理，请刷新后重试"


# Built once (every change of an instance runs one), as Core statements whose rows
# ``reads.adopt`` hands back as the session's object, with the values just read: objects read
# before the lock may be stale.
_INSTANCE = table_of(ProcessInstance)
_LOCK_FOR_UPDATE = Direct(
    columns_of(ProcessInstance).where(_INSTANCE.c.id == bindparam("instance_id")).with_for_update()
)
# The no-op UPDATE returns the row too (RETURNING): lock and read in one statement.
_LOCK_SQLITE = Direct(
    update(_INSTANCE)
    .where(_INSTANCE.c.id == bindparam("instance_id"))
    .values(revision=_INSTANCE.c.revision)
    .returning(*_INSTANCE.c)
)


# The same, for the instance of a human task: finding the instance and locking it is one
# statement on the completion path.
_INSTANCE_OF_TASK: Any = (
    select(HumanTask.instance_id).where(HumanTask.id == bindparam("task_id")).scalar_subquery()
)
_LOCK_TASK_FOR_UPDATE = Direct(
    columns_of(ProcessInstance).where(_INSTANCE.c.id == _INSTANCE_OF_TASK).with_for_update()
)
_LOCK_TASK_SQLITE = Direct(
    update(_INSTANCE)
    .where(_INSTANCE.c.id == _INSTANCE_OF_TASK)
    .values(revision=_INSTANCE.c.revision)
    .returning(*_INSTANCE.c)
)


def _locked(query: Direct, params: dict[str, int]) -> ProcessInstance | None:
    row = query.first(params)
    return adopt(ProcessInstance, row) if row is not None else None


def lock_instance(instance_id: int, *, expected_revision: int | None = None) -> ProcessInstance:
    """Lock the instance row for this transaction and return it freshly read from the database.

    Raises ``NotFound`` for an unknown id and ``Conflict`` when ``expected_revision`` is given
    and the instance has changed since the caller read it.
    """
    query = _LOCK_SQLITE if db.engine.dialect.name == "sqlite" else _LOCK_FOR_UPDATE
    instance = _locked(query, {"instance_id": instance_id})
    if instance is None:
        raise NotFound("流程实例不存在", instance_id=instance_id)
    check_revision(instance, expected_revision)
    return instance


def lock_instance_of_task(task_id: int) -> ProcessInstance:
    """As ``lock_instance``, for the instance human task ``task_id`` belongs to.

    Raises ``NotFound`` for an unknown task. The caller checks the revision it expects
    (``check_revision``) when it is ready to.
    """
    query = _LOCK_TASK_SQLITE if db.engine.dialect.name == "sqlite" else _LOCK_TASK_FOR_UPDATE
    instance = _locked(query, {"task_id": task_id})
    if instance is None:
        raise NotFound("待办任务不存在", task_id=task_id)
    return instance


def check_revision(instance: ProcessInstance, expected_revision: int | None) -> None:
    """``Conflict`` when ``expected_revision`` is given and the instance has moved on."""
    if expected_revision is not None and instance.revision != expected_revision:
        raise Conflict(STALE_MESSAGE, instance_id=instance.id, revision=instance.revision)
