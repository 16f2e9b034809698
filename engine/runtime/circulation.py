"""传阅: a participant circulates an instance's document to readers, without blocking the process.

Each reader gets a 待阅 item (``CirculationItem``); 阅知 stores the read receipt (``read_at``)
with an optional remark; the sender may recall items not yet read. Every change is recorded in
the instance's event log (``circulated``, ``read``, ``recalled``) under the instance lock, like
the other operations, but it never touches the engine state nor the instance's revision: a
circulation must not make someone's open form stale.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, exists, func, or_, select

from engine.runtime.circulation_models import Circulation, CirculationItem
from engine.runtime.history import open_log
from engine.runtime.inbox import Page
from engine.runtime.locking import lock_instance
from engine.runtime.models import HumanTask, HumanTaskCandidate, ProcessInstance
from services import clock
from services.db import db
from services.errors import Conflict, Forbidden, ValidationFailed
from services.notify.inapp import send_in_app
from services.org.models import Department, User

MAX_READERS = 500
MAX_NOTE = 500
MAX_COMMENT = 500
MAX_BATCH = 200
STATES = ("unread", "read", "all")
NOT_YOUR_ITEM = "只能阅知传阅给本人的文件"
NOT_YOUR_CIRCULATION = "只有传阅人本人可以撤回传阅"
NOT_PARTICIPANT = "只有该流程的参与人可以传阅"


@dataclass(frozen=True)
class ReadingView:
    """One reader's 待阅 item as listed: the document, who sent it, and the read receipt."""

    id: int
    circulation_id: int
    instance_id: int
    reader_id: int
    sender_id: int
    status: str
    note: str
    comment: str
    created_at: datetime
    read_at: datetime | None
    recalled_at: datetime | None
    title: str
    business_key: str | None
    process_key: str


def is_participant(instance: ProcessInstance, user_id: int) -> bool:
    """The starter, or anyone assigned, offered, delegated or completing a task in it."""
    if instance.starter_id == user_id:
        return True
    candidate = select(HumanTaskCandidate.task_id).where(HumanTaskCandidate.user_id == user_id)
    stmt = select(
        exists().where(
            HumanTask.instance_id == instance.id,
            or_(
                HumanTask.assignee_id == user_id,
                HumanTask.completed_by_id == user_id,
                HumanTask.delegated_from_id == user_id,
                HumanTask.id.in_(candidate),
            ),
        )
    )
    return bool(db.session.scalar(stmt))


def is_reader(instance_id: int, user_id: int) -> bool:
    """Whether the document was circulated to the user (and not recalled)."""
    stmt = select(
        exists().where(
            CirculationItem.instance_id == instance_id,
            CirculationItem.reader_id == user_id,
            CirculationItem.status != "recalled",
        )
    )
    return bool(db.session.scalar(stmt))


def circulate(
    instance_id: int,
    sender_id: int,
    *,
    user_ids: Iterable[int] = (),
    department_ids: Iterable[int] = (),
    unit_ids: Iterable[int] = (),
    note: str = "",
    task_id: int | None = None,
    link: str | None = None,
) -> Circulation:
    """传阅 the instance to people, whole departments and whole units (their active members).

    The sender must be a participant; readers who already have the document unread, and the
    sender, are left out. Each reader gets a 待阅 item and an in-app notification.
    """
    note = _text(note, MAX_NOTE, "note", "传阅说明")
    instance = lock_instance(instance_id)
    if not is_participant(instance, sender_id):
        raise Forbidden(NOT_PARTICIPANT, instance_id=instance_id)
    if instance.status == "terminated":
        raise Conflict("流程已终止，不能传阅", instance_id=instance_id)
    _check_task(task_id, instance_id)
    readers = _new_readers(instance_id, sender_id, user_ids, department_ids, unit_ids)
    circulation = Circulation(
        instance_id=instance_id, sender_id=sender_id, task_id=task_id, note=note
    )
    db.session.add(circulation)
    db.session.flush()
    for reader_id in readers:
        circulation.items.append(CirculationItem(instance_id=instance_id, reader_id=reader_id))
    _log(instance, "circulated", sender_id, circulation, reader_ids=readers, note=note)
    send_in_app(readers, "circulation", f"传阅：{instance.title}"[:200], note, link)
    db.session.flush()
    return circulation


def _text(value: str, limit: int, field: str, label: str) -> str:
    value = value.strip()
    if len(value) > limit:
        raise ValidationFailed(f"{label}过长", errors={field: f"不能超过 {limit} 个字符"})
    return value


def _check_task(task_id: int | None, instance_id: int) -> None:
    if task_id is None:
        return
    row = db.session.get(HumanTask, task_id)
    if row is None or row.instance_id != instance_id:
        raise ValidationFailed("传阅来源任务有误", errors={"task_id": "不属于该流程"})


def _new_readers(
    instance_id: int,
    sender_id: int,
    user_ids: Iterable[int],
    department_ids: Iterable[int],
    unit_ids: Iterable[int],
) -> list[int]:
    wanted = expand_readers(user_ids, department_ids, unit_ids)
    waiting = set(
        db.session.scalars(
            select(CirculationItem.reader_id).where(
                CirculationItem.instance_id == instance_id, CirculationItem.status == "unread"
            )
        )
    )
    readers = [uid for uid in wanted if uid != sender_id and uid not in waiting]
    if not readers:
        raise ValidationFailed(
            "请选择传阅对象（已在待阅中的人员不会重复传阅）", errors={"readers": "没有新的传阅对象"}
        )
    if len(readers) > MAX_READERS:
        raise ValidationFailed("传阅对象过多", errors={"readers": f"一次最多传阅 {MAX_READERS} 人"})
    return readers


def expand_readers(
    user_ids: Iterable[int], department_ids: Iterable[int], unit_ids: Iterable[int]
) -> list[int]:
    """Active users named directly or as members of the departments and units, in that order,
    without repeats. An unknown or inactive person named directly is an error."""
    named = list(dict.fromkeys(user_ids))
    found = (
        {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(named)))}
        if named
        else {}
    )
    if any(uid not in found or not found[uid].active for uid in named):
        raise ValidationFailed("传阅对象中有无效的人员", errors={"user_ids": "请选择在职人员"})
    members = _members(list(department_ids), list(unit_ids))
    return list(dict.fromkeys([*named, *members]))


def _members(department_ids: list[int], unit_ids: list[int]) -> list[int]:
    if not department_ids and not unit_ids:
        return []
    known = select(func.count()).where(Department.id.in_(department_ids))
    if department_ids and db.session.scalar(known) != len(set(department_ids)):
        raise ValidationFailed("传阅部门有误", errors={"department_ids": "部门不存在"})
    stmt = (
        select(User.id)
        .where(
            User.active.is_(True),
            or_(User.department_id.in_(department_ids), User.unit_id.in_(unit_ids)),
        )
        .order_by(User.unit_id, User.department_id, User.sort_order, User.id)
    )
    return list(db.session.scalars(stmt))


def read(item_ids: Iterable[int], reader_id: int, comment: str = "") -> int:
    """阅知 the reader's items (one or a batch); returns how many were newly marked read.

    Items already read are left as they were; a recalled item or someone else's is refused and
    nothing of the batch is marked.
    """
    comment = _text(comment, MAX_COMMENT, "comment", "阅知意见")
    items = _own_items(item_ids, reader_id)
    if any(item.status == "recalled" for item in items):
        raise Conflict("该传阅已被撤回，无需阅知")
    fresh = [item for item in items if item.status == "unread"]
    for instance_id in sorted({item.instance_id for item in fresh}):
        instance = lock_instance(instance_id)
        for item in (i for i in fresh if i.instance_id == instance_id):
            item.status, item.read_at, item.comment = "read", clock.now(), comment
            _log(instance, "read", reader_id, item.circulation, item_id=item.id, comment=comment)
    return len(fresh)


def _own_items(item_ids: Iterable[int], reader_id: int) -> list[CirculationItem]:
    wanted = list(dict.fromkeys(item_ids))
    if not wanted:
        raise ValidationFailed("请选择要阅知的文件", errors={"ids": "至少选择一项"})
    if len(wanted) > MAX_BATCH:
        raise ValidationFailed("一次选择的文件过多", errors={"ids": f"一次最多 {MAX_BATCH} 项"})
    items = list(db.session.scalars(select(CirculationItem).where(CirculationItem.id.in_(wanted))))
    if len(items) != len(wanted) or any(item.reader_id != reader_id for item in items):
        raise Forbidden(NOT_YOUR_ITEM)
    return items


def recall(circulation_id: int, actor_id: int, item_ids: Iterable[int] | None = None) -> int:
    """The sender recalls the unread items of a circulation (all, or the chosen ``item_ids``);
    returns how many. A chosen item already read cannot be recalled."""
    circulation = db.session.get(Circulation, circulation_id)
    if circulation is None or circulation.sender_id != actor_id:
        raise Forbidden(NOT_YOUR_CIRCULATION, circulation_id=circulation_id)
    instance = lock_instance(circulation.instance_id)
    items = _recallable(circulation, None if item_ids is None else set(item_ids))
    now = clock.now()
    for item in items:
        item.status, item.recalled_at = "recalled", now
    readers = [item.reader_id for item in items]
    _log(
        instance,
        "recalled",
        actor_id,
        circulation,
        item_ids=[i.id for i in items],
        reader_ids=readers,
    )
    return len(items)


def _recallable(circulation: Circulation, chosen: set[int] | None) -> list[CirculationItem]:
    query = (
        select(CirculationItem)
        .where(CirculationItem.circulation_id == circulation.id)
        .order_by(CirculationItem.id)
        .execution_options(populate_existing=True)
    )
    items = list(db.session.scalars(query))
    if chosen is not None:
        if not chosen <= {item.id for item in items}:
            raise Forbidden(NOT_YOUR_CIRCULATION, circulation_id=circulation.id)
        items = [item for item in items if item.id in chosen]
        if any(item.status == "read" for item in items):
            raise Conflict("对方已阅知，无法撤回")
    unread = [item for item in items if item.status == "unread"]
    if not unread:
        raise Conflict("没有可撤回的未阅传阅")
    return unread


def _log(
    instance: ProcessInstance, kind: str, actor_id: int, circulation: Circulation, **details: Any
) -> None:
    task = db.session.get(HumanTask, circulation.task_id) if circulation.task_id else None
    open_log(instance).append(
        kind,
        actor_id=actor_id,
        task_spec=task.task_spec if task is not None else None,
        task_name=task.name if task is not None else None,
        data={"circulation_id": circulation.id, **details},
    )
    instance.updated_at = clock.now()


# ---------------------------------------------------------------------------- listings


def _listing() -> Select[CirculationItem, Circulation, ProcessInstance]:
    return (
        select(CirculationItem, Circulation, ProcessInstance)
        .join(Circulation, Circulation.id == CirculationItem.circulation_id)
        .join(ProcessInstance, ProcessInstance.id == CirculationItem.instance_id)
    )


def _view(
    item: CirculationItem, circulation: Circulation, instance: ProcessInstance
) -> ReadingView:
    return ReadingView(
        id=item.id,
        circulation_id=item.circulation_id,
        instance_id=item.instance_id,
        reader_id=item.reader_id,
        sender_id=circulation.sender_id,
        status=item.status,
        note=circulation.note,
        comment=item.comment,
        created_at=clock.as_utc(item.created_at),
        read_at=clock.as_utc(item.read_at) if item.read_at else None,
        recalled_at=clock.as_utc(item.recalled_at) if item.recalled_at else None,
        title=instance.title,
        business_key=instance.business_key,
        process_key=instance.process_key,
    )


def readings(instance_id: int) -> list[ReadingView]:
    """Every 传阅 item of the instance, oldest first: who has read it, when, with what remark."""
    query = _listing().where(CirculationItem.instance_id == instance_id)
    rows = db.session.execute(query.order_by(CirculationItem.id))
    return [_view(*row) for row in rows]


def toread(
    user_id: int,
    *,
    state: str = "unread",
    unit_id: int | None = None,
    keyword: str | None = None,
    page: int = 1,
    per_page: int = 50,
) -> Page:
    """A page of the user's 待阅 items: unread (oldest first), read or all (newest first)."""
    if state not in STATES:
        raise ValidationFailed("未知的待阅状态", errors={"state": "应为 unread、read、all 之一"})
    if page < 1 or not 1 <= per_page <= MAX_BATCH:
        raise ValidationFailed("分页参数有误", errors={"page": f"每页 1 到 {MAX_BATCH} 条"})
    query = _listing().where(CirculationItem.reader_id == user_id)
    query = query.where(
        CirculationItem.status.in_(("unread", "read") if state == "all" else (state,))
    )
    if unit_id is not None:
        query = query.where(ProcessInstance.starter_unit_id == unit_id)
    if keyword and keyword.strip():
        text = keyword.strip()
        query = query.where(
            or_(
                ProcessInstance.title.contains(text, autoescape=True),
                ProcessInstance.business_key.contains(text, autoescape=True),
            )
        )
    total = db.session.scalar(query.with_only_columns(func.count(CirculationItem.id))) or 0
    order = CirculationItem.created_at.desc() if state != "unread" else CirculationItem.created_at
    rows = db.session.execute(
        query.order_by(order, CirculationItem.id).limit(per_page).offset((page - 1) * per_page)
    )
    return Page([_view(*row) for row in rows], total, page, per_page)


def unread_count(user_id: int) -> int:
    """How many items wait for the user's 阅知 (the 待阅 tab's number)."""
    stmt = select(func.count(CirculationItem.id)).where(
        CirculationItem.reader_id == user_id, CirculationItem.status == "unread"
    )
    return db.session.scalar(stmt) or 0
