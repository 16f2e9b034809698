"""Fixtures of the runtime tests: a few people and, for table-level tests, a bare instance row."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import pytest

from engine import forms
from engine.definitions.models import ProcessDefinition, ProcessVersion
from engine.runtime.models import ProcessInstance
from services.db import db
from services.org.models import User
from tests.org.factories import make_unit, make_user

Office = TypeVar("Office")

# Who plays each part in the engine tests: (username, name), all in one 市政府办公室.
CAST = {
    "starter": ("zhang", "张三"),
    "reviewer": ("li", "李四"),
    "approver": ("zhao", "赵六"),
    "helper": ("qian", "钱七"),
    "outsider": ("wang", "王五"),
    "admin": ("root", "管理员"),
}


def make_office(cls: type[Office], **roles: tuple[str, ...]) -> Office:
    """One user from ``CAST`` per field of the dataclass ``cls``, in field order, committed;
    ``roles`` grants roles by field name (``admin=(SYSADMIN,)``)."""
    unit = make_unit("市政府办公室")
    users = {}
    for part in dataclasses.fields(cls):  # type: ignore[arg-type]
        username, name = CAST[part.name]
        users[part.name] = make_user(username, unit, name=name, roles=roles.get(part.name, ()))
    db.session.commit()
    return cls(**users)


@dataclass
class People:
    starter: User
    reviewer: User
    outsider: User


@pytest.fixture
def people(app) -> People:
    return make_office(People)


def make_bare_instance(starter: User, key: str = "bare") -> ProcessInstance:
    """An instance row on a placeholder version, for tests of the tables around the engine."""
    definition = ProcessDefinition(key=key, name="占位流程", latest_version=1)
    db.session.add(definition)
    db.session.flush()
    version = ProcessVersion(
        definition_id=definition.id,
        key=key,
        version=1,
        name="占位流程",
        checksum="0" * 64,
        files={},
        spec_json="{}",
    )
    db.session.add(version)
    db.session.flush()
    instance = ProcessInstance(
        version_id=version.id, process_key=key, title="占位", starter_id=starter.id
    )
    db.session.add(instance)
    db.session.flush()
    return instance


@pytest.fixture(autouse=True)
def runtime_test_forms():
    """The forms of the test process live next to the tests, not in the product's forms/."""
    with forms.use_forms_dir(Path(__file__).parent / "forms") as path:
        yield path
