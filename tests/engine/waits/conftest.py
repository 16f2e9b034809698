"""Fixtures of the timer and message tests: the runtime tests' people, and deploying fixtures."""

from __future__ import annotations

from pathlib import Path

from engine.definitions import repository
from services.db import db
from tests.engine.runtime.conftest import People, people  # noqa: F401  (fixture reuse)

BPMN_DIR = Path(__file__).parent / "bpmn"


def deploy(*names: str) -> None:
    """Deploy the named fixture processes (one version each) and commit."""
    for name in names:
        files = {f"{name}.bpmn": (BPMN_DIR / f"{name}.bpmn").read_bytes()}
        repository.deploy(files, deployed_by=None, comment="waits tests")
    db.session.commit()


__all__ = ["People", "deploy"]
