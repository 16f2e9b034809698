"""The pyHanko seal provider: a visible PDF signature whose appearance is the seal picture.

Signatures are PAdES (ETSI.CAdES.detached) with the unit's ECDSA P-256 key; the CA certificate
is embedded so any PDF reader that trusts the platform CA shows the signature as valid.
"""

from __future__ import annotations

import io

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from PIL import Image
from pyhanko.pdf_utils.images import PdfImage
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.layout import AxisAlignment, Margins, SimpleBoxLayoutRule
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.sign import fields, signers
from pyhanko.stamp import StaticStampStyle
from pyhanko_certvalidator.registry import SimpleCertificateStore

from services.errors import ValidationFailed
from services.seal import ca, seals
from services.seal.models import UnitSeal
from services.seal.provider import SealPlacement, SealVerification
from services.seal.verify import FIELD_PREFIX, verify_signatures


class PyHankoSealProvider:
    """``SealProvider`` backed by pyHanko; trusts the platform CA unless told otherwise."""

    def __init__(self, trust_roots: list[x509.Certificate] | None = None) -> None:
        self._trust_roots = trust_roots

    def sign_pdf(
        self, pdf_bytes: bytes, seal: UnitSeal, placement: SealPlacement, reason: str
    ) -> bytes:
        """Sign ``pdf_bytes`` with ``seal``'s key, showing its picture at ``placement``."""
        try:
            writer = IncrementalPdfFileWriter(io.BytesIO(pdf_bytes), strict=False)
        except (PdfError, ValueError) as exc:
            raise ValidationFailed("文件不是有效的 PDF，无法用印") from exc
        field_name = FIELD_PREFIX + seal.seal_code
        spec = fields.SigFieldSpec(
            sig_field_name=field_name, on_page=placement.page, box=placement.box
        )
        pdf_signer = signers.PdfSigner(
            signers.PdfSignatureMetadata(
                field_name=field_name,
                reason=reason,
                name=seal.name,
                subfilter=fields.SigSeedSubFilter.PADES,
            ),
            signer=_signer(seal),
            stamp_style=_stamp_style(seal),
            new_field_spec=spec,
        )
        return pdf_signer.sign_pdf(writer).getvalue()

    def verify_pdf(self, pdf_bytes: bytes) -> SealVerification:
        """Verify every seal in ``pdf_bytes``; the verdict is the first failing one's, if any."""
        roots = self._trust_roots or [ca.ca_certificate()]
        return verify_signatures(pdf_bytes, [to_asn1(cert) for cert in roots])


def to_asn1(certificate: x509.Certificate) -> asn1_x509.Certificate:
    """The same certificate as the asn1crypto object pyHanko works with."""
    return asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))


def _signer(seal: UnitSeal) -> signers.SimpleSigner:
    key_der = seals.seal_private_key(seal).private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return signers.SimpleSigner(
        signing_cert=to_asn1(seals.seal_certificate(seal)),
        signing_key=asn1_keys.PrivateKeyInfo.load(key_der),
        cert_registry=SimpleCertificateStore.from_certs([to_asn1(ca.ca_certificate())]),
    )


def _stamp_style(seal: UnitSeal) -> StaticStampStyle:
    picture = Image.open(io.BytesIO(seal.image_png))
    picture.load()
    return StaticStampStyle(
        background=PdfImage(picture),
        background_opacity=1.0,
        border_width=0,
        background_layout=SimpleBoxLayoutRule(
            x_align=AxisAlignment.ALIGN_MID,
            y_align=AxisAlignment.ALIGN_MID,
            margins=Margins.uniform(0),
        ),
    )
