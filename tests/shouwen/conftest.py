"""The demo city with every process deployed (发文, 收文 …)."""

from __future__ import annotations

import pytest

from tests.gongwen.fawen_helpers import City, load_city


@pytest.fixture
def city(app) -> City:
    return load_city()
