"""委托: a user's delegation rule for a period; new tasks meant for them go to the delegate.

The task row keeps ``delegated_from_id`` (the delegator), so the delegator still sees the task
(``delegated_away``) while the delegate works on it. Rules are followed one hop only: a delegate
who has delegated too does not pass the task on again, which also rules out cycles.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import and_, bindparam, select, true

from engine import assignment
from engine.runtime.delegation_models import Delegation
from engine.runtime.direct import Direct
from engine.runtime.inbox import TaskView, task_view
from engine.runtime.models import HumanTask
from services import clock
from services.db import db
from services.errors import Conflict, Forbidden, NotFound, ValidationFailed
from services.notify.new_tasks import chooses_new_task_notices
from services.org import directory
from services.org.models import User


def delegate(
    user_id: int,
    delegate_id: int,
    *,
    starts_at: datetime,
    ends_at: datetime,
    process_keys: list[str] | None = None,
    reason: str = "",
) -> Delegation:
    """Create a delegation rule of ``user_id`` to ``delegate_id`` for ``[starts_at, ends_at)``."""
    _check_rule(user_id, delegate_id, starts_at, ends_at)
    if _overlapping(user_id, starts_at, ends_at):
        raise Conflict("该时间段内已有生效的委托", user_id=user_id)
    rule = Delegation(
        user_id=user_id,
        delegate_id=delegate_id,
        starts_at=starts_at,
        ends_at=ends_at,
        process_keys=sorted(set(process_keys or [])),
        reason=reason[:300],
        active=True,
        created_at=clock.now(),
    )
    db.session.add(rule)
    db.session.flush()
    return rule


def _check_rule(user_id: int, delegate_id: int, starts_at: datetime, ends_at: datetime) -> None:
    if delegate_id == user_id:
        raise ValidationFailed("不能委托给自己", errors={"delegate_id": "不能委托给自己"})
    if ends_at <= starts_at:
        raise ValidationFailed("委托结束时间须晚于开始时间", errors={"ends_at": "须晚于开始时间"})
    directory.get_user(user_id)
    if not directory.get_user(delegate_id).active:
        raise ValidationFailed("受托人账号已停用", errors={"delegate_id": "受托人账号已停用"})


def _overlapping(user_id: int, starts_at: datetime, ends_at: datetime) -> bool:
    query = select(Delegation.id).where(
        Delegation.user_id == user_id,
        Delegation.active == true(),
        Delegation.starts_at < ends_at,
        Delegation.ends_at > starts_at,
    )
    return db.session.scalars(query).first() is not None


def revoke(delegation_id: int, actor_id: int) -> Delegation:
    """End a rule early; only its owner may. Tasks already delegated stay with the delegate."""
    rule = db.session.get(Delegation, delegation_id)
    if rule is None:
        raise NotFound("委托不存在", delegation_id=delegation_id)
    if rule.user_id != actor_id:
        raise Forbidden("只能撤销本人的委托", delegation_id=delegation_id)
    rule.active = False
    return rule


class RuleInForce(NamedTuple):
    """The part of a delegation rule that redirects a new task."""

    user_id: int
    delegate_id: int


class Redirected(NamedTuple):
    """Who a new task goes to (``redirect``), and who of them chose 新待办 e-mail/SMS."""

    assigned: assignment.Assignment
    delegated_from: int | None  # the delegator, when 委托 redirected the task
    choosers: frozenset[int] | None  # None: not read here (a group task)


# Built once, plain columns: it runs for every task created with a single assignee. The rules
# in force and the 新待办 choice of the user and of each delegate come in one statement: the
# notice of the task then needs no query of its own (``NewTask.choosers``).
_POLICY = Direct(
    select(
        chooses_new_task_notices(User.id).label("user_chooses"),
        Delegation.delegate_id,
        Delegation.process_keys,
        chooses_new_task_notices(Delegation.delegate_id).label("delegate_chooses"),
    )
    .select_from(User)
    .outerjoin(
        Delegation,
        and_(
            Delegation.user_id == User.id,
            Delegation.active == true(),
            Delegation.starts_at <= bindparam("now"),
            Delegation.ends_at > bindparam("now"),
        ),
    )
    .where(User.id == bindparam("user_id"))
)


def _policy(user_id: int, process_key: str) -> tuple[RuleInForce | None, bool]:
    """The rule of ``user_id`` in force now for ``process_key``, if any, and whether the task's
    final holder (the delegate, else the user) chose 新待办 notices."""
    params = {"user_id": user_id, "now": clock.now()}
    chooses = False
    for row in _POLICY.all(params):
        chooses = row["user_chooses"]
        delegate_id, process_keys = row["delegate_id"], row["process_keys"]
        if delegate_id is not None and (not process_keys or process_key in process_keys):
            return RuleInForce(user_id, delegate_id), row["delegate_chooses"]
    return None, chooses


def redirect(
    assigned: assignment.Assignment, process_key: str, *, override: int | None = None
) -> Redirected:
    """Apply an explicit assignee (``override``) and then 委托 to a task being created.

    Returns the assignment to use, the delegator's id when the task was delegated, and (for a
    single holder) which holder chose 新待办 notices. Only a task with a single assignee is
    delegated: group tasks stay claimable by the group.
    """
    if override is not None:
        assigned = assignment.Assignment(user_ids=[override])
    if len(assigned.user_ids) != 1:
        return Redirected(assigned, None, None)
    user_id = assigned.user_ids[0]
    rule, chooses = _policy(user_id, process_key)
    holder = rule.delegate_id if rule is not None else user_id
    choosers = frozenset([holder]) if chooses else frozenset()
    if rule is None:
        return Redirected(assigned, None, choosers)
    return Redirected(assignment.Assignment(user_ids=[holder]), rule.user_id, choosers)


def delegated_away(user_id: int) -> list[TaskView]:
    """Open tasks meant for ``user_id`` that went to a delegate: shown in the delegator's inbox."""
    query = (
        select(HumanTask)
        .where(HumanTask.delegated_from_id == user_id, HumanTask.active == true())
        .order_by(HumanTask.id)
    )
    return [task_view(row) for row in db.session.scalars(query)]


@dataclass(frozen=True)
class DelegationView:
    """A delegation rule as its owner lists it (委托设置)."""

    id: int
    delegate_id: int
    starts_at: datetime
    ends_at: datetime
    process_keys: list[str]
    reason: str
    active: bool
    created_at: datetime

    @property
    def in_force(self) -> bool:
        return self.active and self.starts_at <= clock.now() < self.ends_at


def rules_of(user_id: int) -> list[DelegationView]:
    """The user's own delegation rules, newest first (revoked and past ones included)."""
    query = (
        select(Delegation)
        .where(Delegation.user_id == user_id)
        .order_by(Delegation.created_at.desc(), Delegation.id.desc())
    )
    return [
        DelegationView(
            id=rule.id,
            delegate_id=rule.delegate_id,
            starts_at=clock.as_utc(rule.starts_at),
            ends_at=clock.as_utc(rule.ends_at),
            process_keys=list(rule.process_keys or []),
            reason=rule.reason,
            active=rule.active,
            created_at=clock.as_utc(rule.created_at),
        )
        for rule in db.session.scalars(query)
    ]
