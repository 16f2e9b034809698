"""Generic 公文 fixtures: a 发文 draft in a small unit with two people who edit its 正文."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from services.gongwen import documents
from services.gongwen.models import GongwenDocument
from services.org.models import User
from tests.org.factories import make_department, make_unit, make_user


@dataclass
class Draft:
    """A draft document, its drafter (拟稿人) and a reviewer who edits after them (核稿人)."""

    document: GongwenDocument
    drafter: User
    reviewer: User


def make_draft(title: str = "江城市人民政府办公室关于做好冬季安全生产工作的通知") -> Draft:
    """A 通知 draft of a new unit, drafted by 曹娜 and reviewed by 杜俊; nothing committed."""
    unit = make_unit("江城市人民政府办公室", short_name="市政府办")
    department = make_department("秘书科", unit=unit)
    drafter = make_user(f"drafter-{unit.code}", unit=unit, department=department, name="曹娜")
    reviewer = make_user(f"reviewer-{unit.code}", unit=unit, department=department, name="杜俊")
    document = documents.create_document(
        direction="out",
        unit_id=unit.id,
        doc_type="通知",
        title=title,
        drafter_id=drafter.id,
    )
    return Draft(document, drafter, reviewer)


@pytest.fixture
def draft(app) -> Draft:
    """A fresh draft (see :func:`make_draft`) on the test database."""
    return make_draft()
