"""Factories for 发文稿纸 and archive tests: a 发文 record with its people, opinions, a PNG."""

from __future__ import annotations

import io
import itertools
from datetime import UTC, datetime
from typing import Any

from PIL import Image, ImageDraw

from services.gongwen import documents
from services.gongwen.models import GongwenDocument
from services.gongwen.sheet import SheetOpinion
from tests.org.factories import make_department, make_unit, make_user

_serial = itertools.count(1)


def make_outgoing(
    title: str = "江城市教育局关于做好2025年春季学期开学工作的通知",
    *,
    unit_name: str = "江城市教育局",
    department_name: str = "基础教育科",
    doc_type: str = "通知",
    **fields: Any,
) -> GongwenDocument:
    """A 发文 draft with a drafter and a signer of a new unit; ``fields`` override elements."""
    n = next(_serial)
    unit = make_unit(unit_name, code=f"sheet{n}", short_name="市教育局")
    department = make_department(department_name, unit=unit)
    drafter = make_user(f"drafter{n}", unit=unit, department=department, name="曹娜")
    signer = make_user(f"signer{n}", unit=unit, position="staff", name="杜俊娜")
    values: dict[str, Any] = {
        "main_recipients": [{"unit_id": None, "name": "各县（市、区）教育局"}],
        "copy_recipients": [{"unit_id": None, "name": "市政府办公室"}],
        "urgency": "urgent",
        "copies": 30,
        "signer_id": signer.id,
        "drafting_department_id": department.id,
        "doc_number": "江教发〔2025〕7号",
        "attachments_note": ["开学工作检查表"],
        **fields,
    }
    return documents.create_document(
        direction="out",
        unit_id=unit.id,
        doc_type=doc_type,
        title=title,
        drafter_id=drafter.id,
        **values,
    )


def signature_png(width: int = 240, height: int = 80) -> bytes:
    """A small PNG with a scribble, standing in for a handwritten signature."""
    image = Image.new("RGBA", (width, height), (255, 255, 255, 0))
    ImageDraw.Draw(image).line([(10, 60), (80, 15), (150, 65), (230, 20)], fill="black", width=5)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def sample_opinions(*, with_signature: bool = True) -> list[SheetOpinion]:
    """One opinion for each box: 签发 (with a signature image), 会签, 核稿, 审核, 拟稿说明."""
    at = datetime(2025, 3, 5, 6, 30, tzinfo=UTC)  # 14:30 in Beijing
    image = signature_png() if with_signature else None
    return [
        SheetOpinion("sign", "同意印发。", "杜俊娜", "局长", "市教育局", at, image),
        SheetOpinion("countersign", "无意见，同意会签。", "王强", "科长", "市财政局", at),
        SheetOpinion("review", "文字已核，格式规范。", "叶萍", "办公室主任", "市教育局", at),
        SheetOpinion("dept_review", "请办公室核稿。", "龙萍丹", "科长", "基础教育科", at),
        SheetOpinion("draft", "依据省厅通知起草。", "曹娜", "科员", "基础教育科", at),
    ]
