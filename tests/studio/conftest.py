"""Clients of the studio tests: an analyst, a system administrator and a plain clerk."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from engine.definitions import repository
from services.org.roles import ANALYST
from tests.studio.helpers import client_for


@pytest.fixture(autouse=True)
def _fresh_spec_cache() -> None:
    repository.clear_spec_cache()


@pytest.fixture
def analyst(app: Flask) -> FlaskClient:
    return client_for(app, "analyst", (ANALYST,))
