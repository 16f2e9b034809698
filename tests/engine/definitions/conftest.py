"""Fixtures of the definition tests: BPMN fixture files and the small organisation."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.definitions import repository
from services.config import PROJECT_ROOT
from tests.org.conftest import SmallOrg, org  # noqa: F401  (the org fixture is shared)

BPMN_DIR = Path(__file__).parent / "bpmn"
QINGJIA = PROJECT_ROOT / "processes" / "qingjia.bpmn"

__all__ = ["BPMN_DIR", "QINGJIA", "SmallOrg", "fixture_files", "qingjia_files"]


def fixture_files(*names: str) -> dict[str, bytes]:
    """{filename: content} of files under tests/engine/definitions/bpmn/."""
    return {name: (BPMN_DIR / name).read_bytes() for name in names}


def qingjia_files() -> dict[str, bytes]:
    """The sample 请假 process as a deploy would receive it."""
    return {"qingjia.bpmn": QINGJIA.read_bytes()}


@pytest.fixture(autouse=True)
def _fresh_spec_cache() -> None:
    repository.clear_spec_cache()
