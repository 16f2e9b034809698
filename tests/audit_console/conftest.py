"""Fixtures of the audit console tests: an auditor's client and approval instances to audit."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from engine import forms
from services.db import db
from services.org.roles import AUDITOR
from tests.auth.helpers import PASSWORD, ensure_sysadmin, login, make_user
from tests.engine.runtime.conftest import People, people  # noqa: F401  (fixture reused)
from tests.engine.runtime.helpers import BPMN_DIR as RUNTIME_BPMN_DIR


@pytest.fixture(autouse=True)
def approval_forms():
    """The approval process's forms live next to the runtime tests."""
    with forms.use_forms_dir(RUNTIME_BPMN_DIR.parent / "forms") as path:
        yield path


@pytest.fixture
def auditor(app: Flask) -> FlaskClient:
    """A client logged in as 审计管理员 through the real login form."""
    ensure_sysadmin()
    make_user("auditor", name="审计员", roles=(AUDITOR,))
    db.session.commit()
    client = app.test_client()
    login(client, "auditor", PASSWORD)
    return client


__all__ = ["People"]
