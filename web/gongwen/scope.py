"""The user's data scope for 发文: the org rules come from services, the instances the user took
part in from the engine; the two meet here so that services never read engine tables."""

from __future__ import annotations

from engine import api
from services.gongwen import queries
from services.gongwen.models import GongwenDocument
from services.org.models import User


def user_scope(user: User) -> queries.Scope:
    """What ``user`` may see of their own unit's 发文 (never another unit's)."""
    if queries.whole_unit_scope(user):
        return queries.Scope(user_id=user.id, unit_id=user.unit_id, whole_unit=True)
    taken_part = api.participated_instances(user.id, queries.unit_instance_ids(user.unit_id))
    return queries.Scope(
        user_id=user.id,
        unit_id=user.unit_id,
        department_id=queries.department_scope(user),
        instance_ids=frozenset(taken_part),
    )


def visible_document(document_id: int, user: User) -> GongwenDocument:
    """The 发文 if ``user`` may see it; the same 403 for unknown ids and other units' ones."""
    return queries.visible_document(document_id, user_scope(user))


def may_edit_body(document: GongwenDocument, user: User) -> bool:
    """Whether ``user`` may save a new 正文 version: the holder of an open task of the
    document's instance, or the drafter while a document without a process is a draft."""
    if document.status in ("issued", "archived", "void"):
        return False
    if document.instance_id is None:
        return document.status == "draft" and document.drafter_id == user.id
    tasks = api.open_tasks_for([document.instance_id]).get(document.instance_id, [])
    return any(task.assignee_id == user.id for task in tasks)
