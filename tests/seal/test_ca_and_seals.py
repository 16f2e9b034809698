"""The platform CA and unit seals: files, permissions, certificate contents, refusals."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from flask import Flask
from sqlalchemy import select

from services.audit.models import AuditEvent
from services.db import db
from services.errors import Conflict, NotFound
from services.seal import ca, seals
from tests.org.factories import make_unit
from tests.seal.conftest import SealSetup


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_init_ca_writes_private_key_0600(app: Flask) -> None:
    certificate = ca.init_ca()
    key_path, cert_path = ca.ca_paths()
    assert _mode(key_path) == 0o600
    assert _mode(key_path.parent) == 0o700
    assert cert_path.read_bytes().startswith(b"-----BEGIN CERTIFICATE-----")
    assert certificate.subject == certificate.issuer
    assert ca.ca_certificate() == certificate


def test_init_ca_refuses_to_replace(app: Flask) -> None:
    ca.init_ca()
    with pytest.raises(Conflict):
        ca.init_ca()


def test_issue_needs_a_ca(app: Flask) -> None:
    with pytest.raises(NotFound, match="oa seal init-ca"):
        seals.issue_unit_seal(make_unit("宁江市财政局"))


def test_seal_certificate_names_the_unit_and_chains_to_ca(setup: SealSetup) -> None:
    certificate = seals.seal_certificate(setup.seal)
    subject = certificate.subject
    assert subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "宁江市教育局"
    assert subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER)[0].value == "jyj"
    ca_cert = ca.ca_certificate()
    assert certificate.issuer == ca_cert.subject
    certificate.verify_directly_issued_by(ca_cert)


def test_seal_key_is_in_key_store_0600_and_matches_certificate(setup: SealSetup) -> None:
    key = seals.seal_private_key(setup.seal)
    key_file = ca.key_store() / "seals" / setup.seal.key_file
    assert _mode(key_file) == 0o600
    public = seals.seal_certificate(setup.seal).public_key()
    assert isinstance(public, ec.EllipticCurvePublicKey)
    assert key.public_key().public_numbers() == public.public_numbers()


def test_second_active_seal_is_refused(setup: SealSetup) -> None:
    with pytest.raises(Conflict):
        seals.issue_unit_seal(setup.unit)


def test_issue_is_audited_without_key_material(setup: SealSetup) -> None:
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "seal.issue")).one()
    assert event.object_id == str(setup.seal.id)
    assert event.detail["seal_code"] == setup.seal.seal_code
    assert "PRIVATE" not in str(event.detail)


def test_active_seal_lookup(setup: SealSetup) -> None:
    assert seals.active_seal(setup.unit.id).id == setup.seal.id
    with pytest.raises(NotFound):
        seals.active_seal(make_unit("无印章单位").id)
