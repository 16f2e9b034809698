"""Fixtures of the incident tests: a test service that fails on demand, people, the processes."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from engine.definitions import repository
from engine.registry import default_registry
from services.db import db
from services.org.models import User
from services.org.roles import SYSADMIN
from tests.org.factories import make_unit, make_user

BPMN_DIR = Path(__file__).parent / "bpmn"
SERVICE = "incident_test.flaky"
# What the registry makes of the service's exception.
FAILURE = f"服务 {SERVICE} 执行失败：对方系统暂不可用"


class QuotaExceeded(Exception):
    """Caught by the 服务失败 boundary of incident_caught (errorCode QuotaExceeded)."""


class ServiceDown(Exception):
    """An error code no specific boundary names."""


class FlakyService:
    """The test service: raises ``failure`` (when set) with a Chinese message."""

    def __init__(self) -> None:
        self.failure: type[Exception] | None = None
        self.calls = 0

    def __call__(self, subject: str) -> dict[str, Any]:
        self.calls += 1
        if self.failure is not None:
            raise self.failure("对方系统暂不可用")
        return {"ok": subject}


@dataclass
class People:
    starter: User
    outsider: User
    admin: User


@pytest.fixture
def flaky(monkeypatch) -> FlakyService:
    """Registered in a copy of the default registry's table, restored after the test."""
    service = FlakyService()
    monkeypatch.setattr(default_registry, "_services", dict(default_registry._services))
    default_registry.register(SERVICE, service, params={"subject": str}, description="测试服务")
    return service


@pytest.fixture
def people(app, flaky) -> People:
    """People, with the three incident test processes deployed (the service must exist)."""
    unit = make_unit("市政府办公室")
    found = People(
        starter=make_user("zhang", unit, name="张三"),
        outsider=make_user("wang", unit, name="王五"),
        admin=make_user("root", unit, name="管理员", roles=(SYSADMIN,)),
    )
    for name in ("incident_caught", "incident_catch_all", "incident_uncaught"):
        files = {f"{name}.bpmn": (BPMN_DIR / f"{name}.bpmn").read_bytes()}
        repository.deploy(files, deployed_by=None, comment="incident tests")
    db.session.commit()
    return found
