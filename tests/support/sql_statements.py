"""What SQL the application sends: for tests that count or inspect statements."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from services.db import db


@contextmanager
def statements_sent() -> Iterator[list[str]]:
    """The SQL of each statement sent inside the block, as ``before_cursor_execute`` sees it
    (``engine.runtime.direct`` statements included)."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
