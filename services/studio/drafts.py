"""Save and load the modeler's drafts. Drafts are private to their owner.

Another analyst guessing a draft id gets the same "not found" as for a missing draft, so ids
leak nothing. Nothing here commits: the route owns the transaction.
"""

from __future__ import annotations

import re

from sqlalchemy import select

from services import clock
from services.db import db
from services.errors import NotFound, ValidationFailed
from services.studio.models import StudioDraft

MAX_XML_CHARS = 2_000_000
FILENAME = re.compile(r"^[A-Za-z0-9_\-]{1,100}\.bpmn$")


def _checked(name: str, filename: str, xml: str) -> dict[str, str]:
    errors = {}
    if not name.strip():
        errors["name"] = "请填写草稿名称"
    elif len(name) > 200:
        errors["name"] = "草稿名称不能超过 200 个字"
    if not FILENAME.match(filename):
        errors["filename"] = "文件名只能使用字母、数字、下划线和连字符，并以 .bpmn 结尾"
    if not xml.strip():
        errors["xml"] = "流程图内容为空"
    elif len(xml) > MAX_XML_CHARS:
        errors["xml"] = "流程图过大（超过 200 万字符）"
    return errors


def save_draft(
    owner_id: int,
    *,
    name: str,
    filename: str,
    xml: str,
    draft_id: int | None = None,
    source: str = "",
) -> StudioDraft:
    """Create a draft, or overwrite the owner's draft ``draft_id``; flushed, not committed."""
    errors = _checked(name, filename, xml)
    if errors:
        raise ValidationFailed("草稿未保存：" + "；".join(errors.values()), errors=errors)
    draft = get_draft(draft_id, owner_id) if draft_id is not None else None
    if draft is None:
        draft = StudioDraft(owner_id=owner_id, source=source[:300], created_at=clock.now())
        db.session.add(draft)
    draft.name, draft.filename, draft.xml = name.strip(), filename, xml
    draft.updated_at = clock.now()
    db.session.flush()
    return draft


def get_draft(draft_id: int, owner_id: int) -> StudioDraft:
    """The owner's draft; NotFound for a missing id and for someone else's draft alike."""
    draft = db.session.get(StudioDraft, draft_id)
    if draft is None or draft.owner_id != owner_id:
        raise NotFound("草稿不存在或已删除", draft_id=draft_id)
    return draft


def list_drafts(owner_id: int) -> list[StudioDraft]:
    """The owner's drafts, most recently saved first."""
    stmt = (
        select(StudioDraft)
        .where(StudioDraft.owner_id == owner_id)
        .order_by(StudioDraft.updated_at.desc(), StudioDraft.id.desc())
    )
    return list(db.session.scalars(stmt))


def delete_draft(draft_id: int, owner_id: int) -> None:
    """Remove the owner's draft (NotFound otherwise)."""
    db.session.delete(get_draft(draft_id, owner_id))
    db.session.flush()
