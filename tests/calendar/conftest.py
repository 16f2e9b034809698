"""Fixtures of the calendar tests: the runtime tests' people, a clock on the eve of 国庆 2026."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from engine.definitions import repository
from services import clock
from services.db import db
from tests.engine.runtime.conftest import People, people  # noqa: F401  (fixture reuse)

BPMN_DIR = Path(__file__).parent / "bpmn"
TIMER_BPMN_DIR = Path(__file__).parents[1] / "engine" / "timers" / "bpmn"
# Wednesday 2026-09-30 10:00 in Beijing: the last working day before 国庆 (10-01 .. 10-07).
EVE_OF_GUOQING = datetime(2026, 9, 30, 2, 0, tzinfo=UTC)


@pytest.fixture
def guoqing_clock() -> Iterator[clock.FrozenClock]:
    fake = clock.FrozenClock(EVE_OF_GUOQING)
    with clock.use_clock(fake):
        yield fake


def deploy(path: Path) -> None:
    """Deploy one BPMN file and commit."""
    repository.deploy({path.name: path.read_bytes()}, deployed_by=None, comment="calendar tests")
    db.session.commit()


__all__ = ["People", "deploy"]
