"""Fixtures of the operations tests: a small office with a 系统管理员, and the test processes."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from engine import forms
from services.org.models import User
from services.org.roles import SYSADMIN
from tests.engine.operations.helpers import deploy_ops
from tests.engine.runtime.conftest import make_office

RUNTIME_FORMS = Path(__file__).parent.parent / "runtime" / "forms"


@dataclass
class Staff:
    starter: User
    reviewer: User
    approver: User
    helper: User
    outsider: User
    admin: User


@pytest.fixture
def staff(app) -> Staff:
    return make_office(Staff, admin=(SYSADMIN,))


@pytest.fixture
def ops(staff) -> Staff:
    """The staff, with the operations test processes deployed."""
    deploy_ops()
    return staff


@pytest.fixture(autouse=True)
def operations_test_forms():
    """The runtime tests' draft and review forms serve these processes too."""
    with forms.use_forms_dir(RUNTIME_FORMS) as path:
        yield path
