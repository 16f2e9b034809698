"""The admin console's fixtures: a logged-in 系统管理员 and a deployed qingjia with instances."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from engine.definitions import repository
from services.org.roles import SYSADMIN
from tests.studio.helpers import client_for


@pytest.fixture(autouse=True)
def _fresh_spec_cache() -> None:
    repository.clear_spec_cache()


@pytest.fixture
def admin(app: Flask) -> FlaskClient:
    return client_for(app, "sysadmin", (SYSADMIN,))
