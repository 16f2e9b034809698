"""What any seal technology must offer: sign a PDF with a seal, verify a sealed PDF.

Today's provider is ``services.seal.pades.PyHankoSealProvider`` (PDF/PAdES signatures with
ECDSA). A GB/T 38540 provider with SM2/SM3 (which pyHanko does not support) implements the same
protocol, so callers and the 用印 policy do not change when it is added.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from services.seal.models import UnitSeal

MM = 72 / 25.4
# 公章 of 机关 are 40–45 mm across; 42 mm is the common size for a city's departments.
DEFAULT_SEAL_DIAMETER_MM = 42.0


@dataclass(frozen=True)
class SealPlacement:
    """Where the seal goes: page index (negative counts from the end) and the seal's centre
    in PDF points from the page's lower-left corner."""

    center_x: float
    center_y: float
    page: int = -1
    diameter: float = DEFAULT_SEAL_DIAMETER_MM * MM

    @property
    def box(self) -> tuple[int, int, int, int]:
        """The signature widget rectangle (x1, y1, x2, y2)."""
        half = self.diameter / 2
        return (
            round(self.center_x - half),
            round(self.center_y - half),
            round(self.center_x + half),
            round(self.center_y + half),
        )


@dataclass(frozen=True)
class SealVerification:
    """The verdict on one sealed PDF; ``problems`` are Chinese sentences for the user."""

    valid: bool
    intact: bool
    signer: str | None = None
    signed_at: datetime | None = None
    seal_id: str | None = None
    problems: list[str] = field(default_factory=list)


class SealProvider(Protocol):
    """A seal technology (PAdES today, GB/T 38540 SM2 later)."""

    def sign_pdf(
        self, pdf_bytes: bytes, seal: UnitSeal, placement: SealPlacement, reason: str
    ) -> bytes:
        """Return ``pdf_bytes`` with ``seal`` applied visibly at ``placement``."""
        ...

    def verify_pdf(self, pdf_bytes: bytes) -> SealVerification:
        """Check the seals of ``pdf_bytes`` against the platform's trust root."""
        ...


_default: SealProvider | None = None


def default_provider() -> SealProvider:
    """The provider used when callers do not name one (pyHanko until SM2 is configured)."""
    global _default
    if _default is None:
        # Imported here: pades imports this module for the shared dataclasses.
        from services.seal.pades import PyHankoSealProvider

        _default = PyHankoSealProvider()
    return _default
