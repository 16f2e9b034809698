"""The platform CA (制章者): a self-made root that certifies every unit seal's key.

Created once at setup with ``oa seal init-ca``. Its key lives in var/seal/ca.key (mode 0600,
never logged); its certificate var/seal/ca.crt is the trust root verifiers use. A legally
recognised electronic seal needs a licensed CA; this one makes seals verifiable inside the
platform and is replaceable by one later.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from services import clock
from services.config import current_settings
from services.errors import Conflict, NotFound

CA_NAME = "政务协同办公平台电子印章根证书"
CA_ORGANISATION = "政务协同办公平台"
CA_VALID_YEARS = 20
# Certificates start a little in the past so a skewed verifier clock does not reject them.
BACKDATE = timedelta(hours=1)
CURVE = ec.SECP256R1()
SIGNATURE_HASH = hashes.SHA256()

PrivateKey = ec.EllipticCurvePrivateKey


def key_store() -> Path:
    """var/seal/: the directory holding the CA's and the seals' private keys (mode 0700)."""
    path = Path(current_settings().var_dir) / "seal"
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def ca_paths() -> tuple[Path, Path]:
    """Paths of the CA key and certificate."""
    store = key_store()
    return store / "ca.key", store / "ca.crt"


def init_ca() -> x509.Certificate:
    """Create the platform CA key and self-signed certificate; refuses to replace one."""
    key_path, cert_path = ca_paths()
    if key_path.exists() or cert_path.exists():
        raise Conflict("平台印章 CA 已存在，不能重复初始化")
    key = ec.generate_private_key(CURVE)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, CA_NAME),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, CA_ORGANISATION),
        ]
    )
    start = clock.now() - BACKDATE
    certificate = (
        _builder(name, name, key.public_key(), start, start + timedelta(days=365 * CA_VALID_YEARS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(ca=True), critical=True)
        .sign(key, SIGNATURE_HASH)
    )
    write_private_key(key_path, key)
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    return certificate


def ca_certificate() -> x509.Certificate:
    """The CA certificate (the trust root for verification)."""
    _, cert_path = ca_paths()
    if not cert_path.exists():
        raise NotFound("平台印章 CA 尚未初始化，请先运行 oa seal init-ca")
    return x509.load_pem_x509_certificate(cert_path.read_bytes())


def issue_certificate(
    subject: x509.Name, public_key: ec.EllipticCurvePublicKey, valid_to: datetime
) -> x509.Certificate:
    """A signing certificate for ``subject``'s key, signed by the CA, valid from now."""
    ca_cert = ca_certificate()
    ca_key = read_private_key(ca_paths()[0])
    return (
        _builder(subject, ca_cert.subject, public_key, clock.now() - BACKDATE, valid_to)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(ca=False), critical=True)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, SIGNATURE_HASH)
    )


def _builder(
    subject: x509.Name,
    issuer: x509.Name,
    public_key: ec.EllipticCurvePublicKey,
    start: datetime,
    end: datetime,
) -> x509.CertificateBuilder:
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
    )


def _key_usage(*, ca: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not ca,
        content_commitment=not ca,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )


def write_private_key(path: Path, key: PrivateKey) -> None:
    """Write ``key`` as PEM to a new file created with mode 0600 (never group/world readable)."""
    data = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    # O_EXCL: an existing key is never overwritten, and the mode is set at creation.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)


def read_private_key(path: Path) -> PrivateKey:
    """Load a private key written by ``write_private_key``."""
    if not path.exists():
        raise NotFound("印章私钥不存在，请检查密钥库 var/seal/")
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise NotFound("印章私钥类型不受支持")
    return key
