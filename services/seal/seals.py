"""One seal per unit: a key in the key store, a CA-issued certificate and the seal picture.

The certificate's subject is the unit (CN and O = unit name, serialNumber = 单位 code), so a
PDF reader shows the issuing unit as the signer. Revocation and several seals per unit come
with the full seal-management system; the ``status`` column is ready for it.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from sqlalchemy import select

from services import clock
from services.audit import log as audit
from services.db import db
from services.errors import Conflict, NotFound
from services.org.models import Unit, User
from services.seal import ca
from services.seal.image import render_seal_png
from services.seal.models import SEAL_ACTIVE, UnitSeal

SEAL_VALID_YEARS = 5
ALGORITHM = "ECDSA-P256-SHA256"


def issue_unit_seal(unit: Unit, *, actor: User | None = None) -> UnitSeal:
    """Make ``unit``'s seal: key pair, certificate from the platform CA, picture, audit event.

    Refuses when the unit already has an active seal.
    """
    if find_active_seal(unit.id) is not None:
        raise Conflict(f"{unit.name} 已有在用印章，不能重复制发")
    seal_code = f"ES-{unit.code}-{secrets.token_hex(4)}"
    key = ec.generate_private_key(ca.CURVE)
    certificate = ca.issue_certificate(
        _subject(unit), key.public_key(), clock.now() + timedelta(days=365 * SEAL_VALID_YEARS)
    )
    key_file = f"seal-{seal_code}.key"
    ca.write_private_key(_keys_dir() / key_file, key)
    seal = UnitSeal(
        seal_code=seal_code,
        unit_id=unit.id,
        name=unit.name,
        status=SEAL_ACTIVE,
        algorithm=ALGORITHM,
        certificate_pem=certificate.public_bytes(serialization.Encoding.PEM).decode("ascii"),
        certificate_serial=format(certificate.serial_number, "x"),
        image_png=render_seal_png(unit.name),
        key_file=key_file,
        valid_from=certificate.not_valid_before_utc,
        valid_to=certificate.not_valid_after_utc,
        created_by_id=actor.id if actor is not None else None,
    )
    db.session.add(seal)
    db.session.flush()
    audit.record(
        "seal.issue",
        user=actor,
        object_type="seal",
        object_id=seal.id,
        detail={"unit": unit.code, "seal_code": seal_code, "serial": seal.certificate_serial},
    )
    return seal


def _subject(unit: Unit) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, unit.name),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, unit.name),
            x509.NameAttribute(NameOID.SERIAL_NUMBER, unit.code),
        ]
    )


def _keys_dir() -> Path:
    path = ca.key_store() / "seals"
    path.mkdir(mode=0o700, exist_ok=True)
    return path


def find_active_seal(unit_id: int) -> UnitSeal | None:
    """The unit's seal in use, if any."""
    stmt = select(UnitSeal).where(UnitSeal.unit_id == unit_id, UnitSeal.status == SEAL_ACTIVE)
    return db.session.scalars(stmt.order_by(UnitSeal.id.desc())).first()


def active_seal(unit_id: int) -> UnitSeal:
    """The unit's seal in use; NotFound when none was issued."""
    seal = find_active_seal(unit_id)
    if seal is None:
        raise NotFound("本单位尚未制发电子印章，请联系系统管理员运行 oa seal issue")
    return seal


def seal_private_key(seal: UnitSeal) -> ca.PrivateKey:
    """Load the seal's private key from the key store (only the signing provider calls this)."""
    return ca.read_private_key(_keys_dir() / seal.key_file)


def seal_certificate(seal: UnitSeal) -> x509.Certificate:
    """The seal's certificate."""
    return x509.load_pem_x509_certificate(seal.certificate_pem.encode("ascii"))
