"""Core statements for the rows the start/complete path writes while the instance is locked.

The ORM unit of work costs more than the SQL it sends (about half of a completion), so task
rows and the instance row are written with statements built once and run by ``direct``.
``_mirror`` keeps the ORM objects of the session in step with what was written, without
marking them dirty, so later reads in the transaction see the new values and the commit's
flush has nothing to send.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, insert, update
from sqlalchemy.orm.attributes import instance_state, set_committed_value

from engine.runtime.direct import Direct
from engine.runtime.models import HumanTask, HumanTaskCandidate, ProcessInstance
from services.db import db

_INSERT_TASK = Direct(insert(HumanTask).returning(HumanTask.id))
_INSERT_CANDIDATES = Direct(insert(HumanTaskCandidate))
_UPDATE_TASK = Direct(update(HumanTask).where(HumanTask.id == bindparam("row_id")))
_UPDATE_INSTANCE = Direct(update(ProcessInstance).where(ProcessInstance.id == bindparam("row_id")))


def insert_task(values: dict[str, Any], candidates: list[int]) -> int:
    """Insert a human-task row and its candidates; returns the new row's id."""
    inserted = _INSERT_TASK.first(values)
    assert inserted is not None  # INSERT ... RETURNING gives the row
    row_id: int = inserted["id"]
    if candidates:
        _INSERT_CANDIDATES.executemany(
            [{"task_id": row_id, "user_id": user} for user in candidates]
        )
    return row_id


def update_task(row: HumanTask, values: dict[str, Any]) -> None:
    """Write ``values`` to the task row now and mirror them on ``row``."""
    _UPDATE_TASK.execute({"row_id": row.id, **values})
    _mirror(row, values)


def update_instance(instance: ProcessInstance, values: dict[str, Any]) -> None:
    """Write ``values`` to the instance row now and mirror them on ``instance``.

    Attributes changed on the object before and not named in ``values`` stay pending and go
    out with the ORM's flush as usual.
    """
    _UPDATE_INSTANCE.execute({"row_id": instance.id, **values})
    _mirror(instance, values)


def _mirror(obj: Any, values: dict[str, Any]) -> None:
    for key, value in values.items():
        set_committed_value(obj, key, value)
    state = instance_state(obj)
    if state.modified and not state.committed_state:
        # Nothing left to write: take the object off the session's dirty list as a flush
        # would, or the commit walks the unit of work for nothing.
        state._commit_all(state.dict, db.session.identity_map)
