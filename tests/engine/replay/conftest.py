"""Fixtures of the replay and migration tests: the runtime tests' people, forms and processes."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine import forms
from engine.definitions import repository
from services.db import db
from tests.engine.runtime.conftest import People, people  # noqa: F401  (fixture reused)
from tests.engine.runtime.helpers import BPMN_DIR as RUNTIME_BPMN_DIR

BPMN_DIR = Path(__file__).parent / "bpmn"


@pytest.fixture(autouse=True)
def replay_test_forms():
    """The approval process's forms live next to the runtime tests."""
    with forms.use_forms_dir(RUNTIME_BPMN_DIR.parent / "forms") as path:
        yield path


def deploy_file(path: Path, comment: str = "replay tests") -> int:
    """Deploy one BPMN file; returns the id of the version it became."""
    deployed = repository.deploy({path.name: path.read_bytes()}, deployed_by=None, comment=comment)
    db.session.commit()
    return deployed[0].version_id


__all__ = ["BPMN_DIR", "People", "deploy_file"]
