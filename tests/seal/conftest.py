"""A platform CA, a unit with its seal and office clerk, and a real converted PDF to seal."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from flask import Flask

from services.convert.libreoffice import WarmConverter
from services.db import db
from services.org.models import Unit, User
from services.seal import ca, seals
from services.seal.models import UnitSeal
from services.seal.provider import SealPlacement
from services.seal.sign import SEAL_STEP, SealUse
from tests.convert.conftest import warm_converter  # noqa: F401  (shared session fixture)
from tests.convert.helpers import make_docx
from tests.org.factories import make_unit, make_user

DOCUMENT_TITLE = "宁江市教育局关于开展校园安全检查的通知"
# Over the 署名 of an A4 page, right of centre, as GB/T 9704 places it.
PLACEMENT = SealPlacement(center_x=430, center_y=420, page=-1)


@dataclass
class SealSetup:
    unit: Unit
    clerk: User
    seal: UnitSeal

    def use(self, *, step: str = SEAL_STEP, approved: bool = True, user: User | None = None):
        return SealUse(
            unit_id=self.unit.id,
            user_id=(user or self.clerk).id,
            purpose="发文用印：宁教发〔2025〕3号",
            step=step,
            approved=approved,
            reference="fawen:1/task:9",
        )


@pytest.fixture(scope="session")
def document_pdf(warm_converter: WarmConverter) -> bytes:  # noqa: F811
    """A .docx made with python-docx, converted once per session."""
    return warm_converter.convert(make_docx(DOCUMENT_TITLE, "各学校：现将有关事项通知如下。"))


@pytest.fixture
def setup(app: Flask) -> SealSetup:
    ca.init_ca()
    unit = make_unit("宁江市教育局", code="jyj")
    clerk = make_user("jyj_clerk", unit=unit, name="李文书")
    seal = seals.issue_unit_seal(unit)
    db.session.commit()
    return SealSetup(unit=unit, clerk=clerk, seal=seal)
