"""``oa seal init-ca``, ``oa seal issue UNIT_CODE`` and ``oa seal verify FILE.pdf``."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from flask import Flask

from services.db import db
from services.seal import ca
from services.seal.models import UnitSeal
from services.seal.sign import sign_pdf
from tests.org.factories import make_unit
from tests.seal.conftest import PLACEMENT, SealSetup
from web.commands.seal import seal_group


def _run(app: Flask, *args: str):
    return app.test_cli_runner().invoke(seal_group, list(args))


def test_init_ca_then_refuses_again(app: Flask) -> None:
    first = _run(app, "init-ca")
    assert first.exit_code == 0, first.output
    assert "已创建平台印章 CA" in first.output
    key_path, _ = ca.ca_paths()
    assert stat.S_IMODE(key_path.stat().st_mode) == 0o600
    assert "PRIVATE KEY" not in first.output
    again = _run(app, "init-ca")
    assert again.exit_code != 0
    assert "已存在" in again.output


@pytest.mark.parametrize(("code", "ok"), [("jyj", True), ("nosuch", False)])
def test_issue_for_unit_code(app: Flask, code: str, ok: bool) -> None:
    make_unit("宁江市教育局", code="jyj")
    db.session.commit()
    _run(app, "init-ca")
    result = _run(app, "issue", code)
    assert (result.exit_code == 0) is ok, result.output
    count = db.session.query(UnitSeal).count()
    assert count == (1 if ok else 0)
    assert ("已为 宁江市教育局 制发印章" in result.output) is ok


def test_verify_valid_and_tampered(
    app: Flask, setup: SealSetup, document_pdf: bytes, tmp_path: Path
) -> None:
    sealed = sign_pdf(document_pdf, setup.use(), PLACEMENT)
    db.session.commit()
    good = tmp_path / "good.pdf"
    good.write_bytes(sealed)
    result = _run(app, "verify", str(good))
    assert result.exit_code == 0, result.output
    assert "印章有效：宁江市教育局" in result.output
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(sealed[:200] + bytes([sealed[200] ^ 1]) + sealed[201:])
    result = _run(app, "verify", str(bad))
    assert result.exit_code == 1
    assert "印章无效" in result.output
