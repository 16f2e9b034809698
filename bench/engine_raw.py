"""The baselines of ``bench.engine_bench``: the bench process on bare SpiffWorkflow.

- ``RawSpiff``: Spiff's stock serializer (spec embedded), the state kept in memory;
- ``RawStore``: the same, plus the least persistence a real engine needs (raw + 最小持久化): the
  state is one row of a table in the SAME database as the platform, locked, read, written and
  committed per completion (PostgreSQL: ``SELECT ... FOR UPDATE``; SQLite: ``BEGIN IMMEDIATE``),
  through the DB-API connection (same pragmas as the platform's), no ORM, no history, no inbox.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import Engine

TABLE = "bench_raw_state"


class RawSpiff:
    """The process on bare SpiffWorkflow with its stock serializer (spec embedded)."""

    def __init__(self, bpmn: Path, key: str, start_data: dict[str, Any]) -> None:
        parser = SpiffBpmnParser()
        parser.add_bpmn_file(str(bpmn))
        self.spec = parser.get_spec(key)
        self.start_data = start_data
        self.serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))

    def start(self) -> str:
        """A new instance run to its first user task, serialized."""
        workflow = BpmnWorkflow(self.spec)
        workflow.get_tasks(state=TaskState.READY)[0].data.update(self.start_data)
        workflow.do_engine_steps()
        return self.serializer.serialize_json(workflow)

    def complete(self, state: str, data: dict[str, Any]) -> str:
        """Deserialize, complete the ready user task with ``data``, run on, serialize."""
        workflow = self.serializer.deserialize_json(state)
        task = workflow.get_tasks(state=TaskState.READY, manual=True)[0]
        task.data.update(data)
        workflow.run_task_from_id(task.id)
        workflow.do_engine_steps()
        return self.serializer.serialize_json(workflow)


class RawStore:
    """``RawSpiff`` with each state in one row of ``bench_raw_state`` in the given database."""

    def __init__(self, raw: RawSpiff, engine: Engine) -> None:
        self.raw = raw
        self.sqlite = engine.dialect.name == "sqlite"
        self.connection: Any = engine.raw_connection()
        cursor = self.connection.cursor()
        cursor.execute(f"CREATE TABLE {TABLE} (id INTEGER PRIMARY KEY, state TEXT NOT NULL)")
        self.connection.commit()
        self.param = "?" if self.sqlite else "%s"

    def fill(self, count: int) -> list[int]:
        """``count`` started instances stored as rows; returns their ids."""
        cursor = self.connection.cursor()
        ids = list(range(1, count + 1))
        sql = f"INSERT INTO {TABLE} (id, state) VALUES ({self.param}, {self.param})"
        for row_id in ids:
            cursor.execute(sql, (row_id, self.raw.start()))
        self.connection.commit()
        return ids

    def complete(self, row_id: int, data: dict[str, Any]) -> None:
        """Lock the row, load, complete, save, commit: one transaction."""
        cursor, p = self.connection.cursor(), self.param
        if self.sqlite:
            cursor.execute("BEGIN IMMEDIATE")
            cursor.execute(f"SELECT state FROM {TABLE} WHERE id = {p}", (row_id,))
        else:
            cursor.execute(f"SELECT state FROM {TABLE} WHERE id = {p} FOR UPDATE", (row_id,))
        state = cursor.fetchone()[0]
        new_state = self.raw.complete(state, data)
        cursor.execute(f"UPDATE {TABLE} SET state = {p} WHERE id = {p}", (new_state, row_id))
        self.connection.commit()

    def close(self) -> None:
        """Give the connection back to the pool."""
        self.connection.close()
