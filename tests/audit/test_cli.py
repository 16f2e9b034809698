"""``oa audit verify``: exit 0 on an intact log, non-zero naming the first bad row otherwise."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from flask import Flask

from services.audit import log as audit
from services.audit.models import AuditEvent
from services.db import db
from tests.audit.helpers import tamper
from tests.conftest import TEST_SECRET
from web.commands.auth import audit_group


@pytest.fixture
def events(app: Flask) -> list[AuditEvent]:
    created = [audit.record("doc.view", object_type="doc", object_id=n) for n in range(3)]
    db.session.commit()
    return created


def test_verify_intact(app: Flask, events) -> None:
    result = app.test_cli_runner().invoke(audit_group, ["verify"])
    assert result.exit_code == 0
    assert "审计日志完整，共 3 条记录" in result.output


def test_verify_tampered_names_the_row(app: Flask, events) -> None:
    tamper("UPDATE audit_event SET object_id = '999' WHERE id = :id", id=events[1].id)
    result = app.test_cli_runner().invoke(audit_group, ["verify"])
    assert result.exit_code == 1
    assert f"序号 2，记录 ID {events[1].id}" in result.output
    assert "altered" in result.output


def test_oa_command_on_a_tampered_database(
    app: Flask, events, database_url: str, tmp_path: Path
) -> None:
    """The installed ``oa`` entry point, pointed at the test database via the environment."""
    first_id, second_id = events[0].id, events[1].id
    tamper("DELETE FROM audit_event WHERE id = :id", id=first_id)
    db.session.remove()
    env = {
        **os.environ,
        "OA_DATABASE_URL": database_url,
        "OA_SECRET_KEY": TEST_SECRET,
        "OA_VAR_DIR": str(tmp_path / "var"),
    }
    oa = Path(sys.executable).with_name("oa")
    completed = subprocess.run(
        [str(oa), "audit", "verify"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 1, completed.stdout + completed.stderr
    assert f"序号 2，记录 ID {second_id}" in completed.stderr
