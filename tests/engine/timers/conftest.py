"""Fixtures of the timer tests: the runtime tests' people, and deploying this package's BPMN."""

from __future__ import annotations

from pathlib import Path

from engine.definitions import repository
from services.db import db
from tests.engine.runtime.conftest import People, people  # noqa: F401  (fixture reuse)

BPMN_DIR = Path(__file__).parent / "bpmn"


def deploy(*names: str, deployed_by: int | None = None) -> None:
    """Deploy the named fixture processes (one version each) and commit."""
    for name in names:
        files = {f"{name}.bpmn": (BPMN_DIR / f"{name}.bpmn").read_bytes()}
        repository.deploy(files, deployed_by=deployed_by, comment="timer tests")
    db.session.commit()


__all__ = ["People", "deploy"]
