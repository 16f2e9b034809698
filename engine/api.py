"""The engine facade for web/ and the CLI: our own small dataclasses in, out, never Spiff types.

Functions add to the caller's transaction and never commit; the route, command or job commits
(or rolls back on an error, which leaves the instance as it was).
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select

from engine import gongwen_services as _gongwen_services  # noqa: F401  (registers 发文 services)
from engine import shouwen_services as _shouwen_services  # noqa: F401  (registers 收文 services)
from engine.definitions import repository as _repository
from engine.runtime import addsign as _addsign
from engine.runtime import analysis as _analysis
from engine.runtime import circulation as _circulation
from engine.runtime import delegation as _delegation
from engine.runtime import event_search as _event_search
from engine.runtime import failures as _failures
from engine.runtime import history as _history
from engine.runtime import inbox as _inbox
from engine.runtime import incidents as _incidents
from engine.runtime import messages as _messages
from engine.runtime import migration as _migration
from engine.runtime import operations as _operations
from engine.runtime import replay as _replay
from engine.runtime import runtime as _runtime
from engine.runtime import sendback as _sendback
from engine.runtime import timers as _timers
from engine.runtime import urge as _urge
from engine.runtime.analysis import AnalysisQuery, NodeStats
from engine.runtime.circulation import ReadingView
from engine.runtime.delegation import DelegationView
from engine.runtime.event_search import EventFilters, EventRow
from engine.runtime.failures import FailedTimerView
from engine.runtime.history import ChainCheck, EventView
from engine.runtime.inbox import InboxFilters, InstanceView, Page, TaskView
from engine.runtime.incidents import IncidentView
from engine.runtime.migration import MigrationPlan, VersionDiff
from engine.runtime.models import HumanTask, HumanTaskCandidate, ProcessInstance
from engine.runtime.replay import ReplayReport
from engine.runtime.sendback import ReturnTarget
from services.db import db
from services.errors import NotFound

__all__ = [
    "AnalysisQuery",
    "ChainCheck",
    "DelegationView",
    "EventFilters",
    "EventRow",
    "EventView",
    "FailedTimerView",
    "InboxFilters",
    "IncidentView",
    "InstanceView",
    "MigrationPlan",
    "NodeStats",
    "Page",
    "ReadingView",
    "ReplayReport",
    "TaskView",
    "VersionDiff",
    "claim_task",
    "complete_task",
    "count_events",
    "deliver_messages",
    "export_events",
    "fire_due_timers",
    "get_instance",
    "get_task",
    "history",
    "inbox",
    "list_failed_timers",
    "list_incidents",
    "open_tasks_for",
    "participated_instances",
    "retry_failed_timer",
    "retry_incident",
    "retry_timer",
    "search_events",
    "send_message",
    "start_instance",
    "start_instance_by_hand",
    "started_instances",
    "task_candidates",
    "verify_history",
]


def start_instance(
    process_key: str,
    *,
    starter_id: int,
    data: dict[str, Any] | None = None,
    business_key: str | None = None,
    title: str | None = None,
) -> InstanceView:
    """Start the latest version of a process and run it to its first wait state."""
    instance = _runtime.start(
        process_key, starter_id=starter_id, data=data, business_key=business_key, title=title
    )
    return _inbox.instance_view(instance)


def start_instance_by_hand(
    process_key: str,
    *,
    starter_id: int,
    data: dict[str, Any] | None = None,
    business_key: str | None = None,
) -> InstanceView:
    """A person starts a process (发起流程 page, REST API): as ``start_instance``, but refused
    (``Forbidden``) for processes started by a message or timer or only called by others."""
    _repository.check_manual_start(process_key)
    return start_instance(process_key, starter_id=starter_id, data=data, business_key=business_key)


def complete_task(
    task_id: int,
    *,
    actor_id: int,
    data: dict[str, Any] | None = None,
    expected_revision: int | None = None,
) -> InstanceView:
    """Complete a human task with form data (validated first); Conflict if someone was faster."""
    instance = _runtime.complete(
        task_id, actor_id=actor_id, data=data, expected_revision=expected_revision
    )
    return _inbox.instance_view(instance)


def claim_task(task_id: int, actor_id: int) -> TaskView:
    """签收 a group task: it becomes the actor's."""
    return _inbox.task_view(_runtime.claim(task_id, actor_id))


def get_instance(instance_id: int) -> InstanceView:
    """One instance (NotFound with a Chinese message)."""
    row = db.session.get(ProcessInstance, instance_id)
    if row is None:
        raise NotFound("流程实例不存在", instance_id=instance_id)
    return _inbox.instance_view(row)


def get_task(task_id: int) -> TaskView:
    """One human task (NotFound with a Chinese message)."""
    row = db.session.get(HumanTask, task_id)
    if row is None:
        raise NotFound("待办任务不存在", task_id=task_id)
    return _inbox.task_view(row)


def inbox(
    user_id: int, *, filters: InboxFilters | None = None, page: int = 1, per_page: int = 50
) -> Page:
    """A page of the user's tasks: todo, claimable, done (已办) or overdue."""
    return _inbox.inbox(user_id, filters=filters, page=page, per_page=per_page)


def started_instances(user_id: int, *, page: int = 1, per_page: int = 50) -> Page:
    """A page of the instances the user started."""
    return _inbox.started_instances(user_id, page=page, per_page=per_page)


def history(instance_id: int) -> list[EventView]:
    """The instance's event log, oldest first."""
    get_instance(instance_id)
    return _history.history(instance_id)


def verify_history(instance_id: int) -> ChainCheck:
    """Check the instance's hash chain; names the first bad event."""
    get_instance(instance_id)
    return _history.verify_instance(instance_id)


def search_events(filters: EventFilters, *, page: int = 1, per_page: int = 50) -> Page:
    """A page of events (``EventRow``) across all instances, newest first (流程审计)."""
    return _event_search.search_events(filters, page=page, per_page=per_page)


def count_events(filters: EventFilters) -> int:
    """How many events across all instances match ``filters``."""
    return _event_search.count_events(filters)


def export_events(filters: EventFilters, *, limit: int) -> Iterator[EventRow]:
    """At most ``limit`` matching events, oldest first, streamed from the database."""
    return _event_search.iter_events(filters, limit)


def fire_due_timers(limit: int = 100, worker_id: str | None = None) -> int:
    """Scheduler job: fire due timers exactly once each, committing per timer (owns its
    transactions, unlike the other facade functions); returns how many fired."""
    return _timers.fire_due_timers(limit=limit, worker_id=worker_id)


def retry_timer(timer_id: int) -> None:
    """An admin puts a failed timer (an incident) back in the queue."""
    _timers.retry_timer(timer_id)


def send_message(
    name: str,
    correlation: dict[str, Any] | None = None,
    payload: dict[str, Any] | None = None,
    *,
    sender_id: int | None = None,
) -> int:
    """Queue a message to other instances (admins, the API); returns the message id."""
    row = _messages.send_message(name, correlation, payload, sender_id=sender_id)
    db.session.flush()
    return int(row.id)


def deliver_messages(limit: int = 100, worker_id: str | None = None) -> int:
    """Scheduler job: deliver pending messages exactly once each, committing per message;
    returns how many were delivered."""
    return _messages.deliver_messages(limit=limit, worker_id=worker_id)


# Chinese workflow operations (issue 3 point 3); each is recorded in the instance history.


def reassign_task(task_id: int, *, actor_id: int, to_user_id: int, reason: str) -> TaskView:
    """转办: the holder (or a 系统管理员) hands an open task to someone else."""
    return _inbox.task_view(_operations.reassign(task_id, actor_id, to_user_id, reason))


def delegate(
    user_id: int,
    delegate_id: int,
    *,
    starts_at: datetime,
    ends_at: datetime,
    process_keys: list[str] | None = None,
    reason: str = "",
) -> int:
    """委托: from ``starts_at`` to ``ends_at`` new tasks for ``user_id`` go to the delegate
    (only for ``process_keys`` if given); returns the rule's id."""
    rule = _delegation.delegate(
        user_id,
        delegate_id,
        starts_at=starts_at,
        ends_at=ends_at,
        process_keys=process_keys,
        reason=reason,
    )
    return int(rule.id)


def revoke_delegation(delegation_id: int, *, actor_id: int) -> None:
    """End one's own delegation rule early."""
    _delegation.revoke(delegation_id, actor_id)


def delegated_tasks(user_id: int) -> list[TaskView]:
    """Open tasks meant for ``user_id`` that went to their delegate (still visible to them)."""
    return _delegation.delegated_away(user_id)


def returnable_targets(task_id: int) -> list[ReturnTarget]:
    """The earlier completed user tasks that task ``task_id`` may be sent back (退回) to."""
    return _sendback.returnable_targets(task_id)


def send_back(task_id: int, *, actor_id: int, target_task_spec: str, reason: str) -> InstanceView:
    """退回 to an earlier completed user task, its earlier assignee and form data restored."""
    return _inbox.instance_view(_sendback.send_back(task_id, actor_id, target_task_spec, reason))


def withdraw_task(task_id: int, *, actor_id: int) -> InstanceView:
    """取回 a task one completed while the next task(s) have not been acted on."""
    return _inbox.instance_view(_sendback.withdraw(task_id, actor_id))


def add_signer(
    task_id: int, *, actor_id: int, user_id: int, position: str = "before", reason: str
) -> TaskView:
    """加签: a signer acts before the holder, or after the holder before the process moves on."""
    row = _addsign.add_signer(task_id, actor_id, user_id, position, reason)
    return _inbox.task_view(row)


def suspend_instance(instance_id: int, *, admin_id: int, reason: str) -> InstanceView:
    """Suspend a running instance (admins); its tasks cannot be completed meanwhile."""
    return _inbox.instance_view(_operations.suspend(instance_id, admin_id, reason))


def resume_instance(instance_id: int, *, admin_id: int, reason: str) -> InstanceView:
    """Resume a suspended instance (admins)."""
    return _inbox.instance_view(_operations.resume(instance_id, admin_id, reason))


def terminate_instance(instance_id: int, *, admin_id: int, reason: str) -> InstanceView:
    """Terminate an instance (admins); open tasks are cancelled."""
    return _inbox.instance_view(_operations.terminate(instance_id, admin_id, reason))


def unblock_instance(
    instance_id: int,
    *,
    admin_id: int,
    reason: str,
    task_id: int | None = None,
    data: dict[str, Any] | None = None,
    skip_task_spec: str | None = None,
) -> InstanceView:
    """疏通: an admin completes a stuck task on behalf of its holder, or skips a stuck
    automatic task, and the instance runs on."""
    instance = _operations.unblock(
        instance_id,
        admin_id,
        reason,
        task_id=task_id,
        data=data,
        skip_task_spec=skip_task_spec,
    )
    return _inbox.instance_view(instance)


def replay_instance(instance_id: int) -> ReplayReport:
    """Verify the hash chain, then re-execute the recorded inputs in memory and compare."""
    get_instance(instance_id)
    return _replay.replay(instance_id)


def data_as_of(instance_id: int, seq: int) -> dict[str, Any]:
    """The instance data as it stood after event ``seq`` (the auditor's step-by-step view)."""
    get_instance(instance_id)
    return _replay.data_as_of(instance_id, seq)


def diff_versions(version_a: int, version_b: int) -> VersionDiff:
    """Nodes added, removed and changed between two versions of a process."""
    return _migration.diff_versions(version_a, version_b)


def version_id_for(process_key: str, number: int) -> int:
    """The id of version ``number`` (v1, v2 ...) of a process."""
    return _migration.version_id_for(process_key, number)


def plan_migration(instance_ids: list[int], to_version_id: int) -> MigrationPlan:
    """Dry run of moving instances to another version: diff, open tasks, verdict; no writes."""
    return _migration.plan_migration(instance_ids, to_version_id)


def apply_migration(plan: MigrationPlan, actor_id: int | None) -> list[int]:
    """Carry out an allowed plan under the instance locks (Conflict if refused or stale)."""
    return _migration.apply_migration(plan, actor_id)


def task_form_data(task_id: int) -> dict[str, Any]:
    """The current data of an open task, e.g. the form data restored by a 退回."""
    return _operations.task_data(task_id)


def list_incidents(*, instance_id: int | None = None, open_only: bool = True) -> list[IncidentView]:
    """Service-task incidents (newest first) for the admin views; open ones unless told."""
    return _incidents.list_incidents(instance_id=instance_id, open_only=open_only)


def retry_incident(incident_id: int, *, admin_id: int) -> IncidentView:
    """Re-run an incident's failed service task (系统管理员); see ``view.open`` for the outcome."""
    return _incidents.incident_view(_incidents.retry(incident_id, admin_id))


def list_failed_timers() -> list[FailedTimerView]:
    """Instance timers and timer start events that gave up after their retries."""
    return _failures.failed_timers()


def retry_failed_timer(kind: str, timer_id: int) -> None:
    """Queue a failed timer (``kind`` "timer" or "start_timer") again; the caller commits."""
    _failures.retry_failed_timer(kind, timer_id)


# Lists (发文列表, 收文列表) ask about hundreds of instances at once; IN lists are cut to this size.
_IN_CHUNK = 500


def _chunks(ids: Collection[int]) -> Iterator[list[int]]:
    ordered = sorted(set(ids))
    for start in range(0, len(ordered), _IN_CHUNK):
        yield ordered[start : start + _IN_CHUNK]


def open_tasks_for(instance_ids: Collection[int]) -> dict[int, list[TaskView]]:
    """The waiting tasks of each instance, oldest first; instances with none are absent.

    For lists that show where each document is (当前环节, 办理人, 等待时长)."""
    found: dict[int, list[TaskView]] = {}
    for chunk in _chunks(instance_ids):
        stmt = (
            select(HumanTask)
            .where(HumanTask.instance_id.in_(chunk), HumanTask.active.is_(True))
            .order_by(HumanTask.id)
        )
        for row in db.session.scalars(stmt):
            found.setdefault(row.instance_id, []).append(_inbox.task_view(row))
    return found


def instance_tasks(instance_id: int) -> list[TaskView]:
    """Every human task the instance has had (open, completed, cancelled), oldest first:
    who had each step and for how long (the instance page's 各环节用时)."""
    stmt = select(HumanTask).where(HumanTask.instance_id == instance_id).order_by(HumanTask.id)
    return [_inbox.task_view(row) for row in db.session.scalars(stmt)]


def task_candidates(task_ids: Collection[int]) -> dict[int, list[int]]:
    """The users who may 签收 each group task (tasks without candidates are absent)."""
    found: dict[int, list[int]] = {}
    for chunk in _chunks(task_ids):
        stmt = (
            select(HumanTaskCandidate.task_id, HumanTaskCandidate.user_id)
            .where(HumanTaskCandidate.task_id.in_(chunk))
            .order_by(HumanTaskCandidate.task_id, HumanTaskCandidate.user_id)
        )
        for task_id, user_id in db.session.execute(stmt):
            found.setdefault(task_id, []).append(user_id)
    return found


def participated_instances(user_id: int, instance_ids: Collection[int]) -> set[int]:
    """Those of ``instance_ids`` the user started or had a task in (assigned, offered as a
    candidate, delegated from or completed)."""
    offered = select(HumanTaskCandidate.task_id).where(HumanTaskCandidate.user_id == user_id)
    found: set[int] = set()
    for chunk in _chunks(instance_ids):
        started = select(ProcessInstance.id).where(
            ProcessInstance.id.in_(chunk), ProcessInstance.starter_id == user_id
        )
        tasked = select(HumanTask.instance_id).where(
            HumanTask.instance_id.in_(chunk),
            or_(
                HumanTask.assignee_id == user_id,
                HumanTask.completed_by_id == user_id,
                HumanTask.delegated_from_id == user_id,
                HumanTask.id.in_(offered),
            ),
        )
        found.update(db.session.scalars(started.union(tasked)))
    return found


# 传阅 (circulation with read receipts), 催办 by hand, and the 委托 settings page (issue 4).


def circulate(
    instance_id: int,
    *,
    sender_id: int,
    user_ids: list[int] | None = None,
    department_ids: list[int] | None = None,
    unit_ids: list[int] | None = None,
    note: str = "",
    task_id: int | None = None,
    link: str | None = None,
) -> tuple[int, list[int]]:
    """传阅 an instance's document to people, departments and units (their members); returns
    the circulation's id and the readers who got a 待阅 item."""
    row = _circulation.circulate(
        instance_id,
        sender_id,
        user_ids=user_ids or [],
        department_ids=department_ids or [],
        unit_ids=unit_ids or [],
        note=note,
        task_id=task_id,
        link=link,
    )
    return int(row.id), [item.reader_id for item in row.items]


def read_item(item_ids: list[int], *, reader_id: int, comment: str = "") -> int:
    """阅知 one's 待阅 items (one or a batch); returns how many were newly read."""
    return _circulation.read(item_ids, reader_id, comment)


def recall_circulation(
    circulation_id: int, *, actor_id: int, item_ids: list[int] | None = None
) -> int:
    """The sender recalls the unread items of a circulation; returns how many."""
    return _circulation.recall(circulation_id, actor_id, item_ids)


def reading_list(instance_id: int) -> list[ReadingView]:
    """Who the instance was circulated to, who has read it and when (oldest first)."""
    get_instance(instance_id)
    return _circulation.readings(instance_id)


def toread(
    user_id: int,
    *,
    state: str = "unread",
    unit_id: int | None = None,
    keyword: str | None = None,
    page: int = 1,
    per_page: int = 50,
) -> Page:
    """A page of the user's 待阅 items (``ReadingView``): unread, read or all."""
    return _circulation.toread(
        user_id, state=state, unit_id=unit_id, keyword=keyword, page=page, per_page=per_page
    )


def toread_count(user_id: int) -> int:
    """How many 待阅 items wait for the user's 阅知."""
    return _circulation.unread_count(user_id)


def is_reader(instance_id: int, user_id: int) -> bool:
    """Whether the instance was circulated to the user (not recalled): they may view it."""
    return _circulation.is_reader(instance_id, user_id)


def takes_part(instance_id: int, user_id: int) -> bool:
    """Whether the user started the instance or was assigned, offered, delegated or completed
    a task in it (participants see the instance and may circulate it)."""
    row = db.session.get(ProcessInstance, instance_id)
    return row is not None and _circulation.is_participant(row, user_id)


def may_circulate(instance_id: int, user_id: int) -> bool:
    """Whether the user takes part in the instance and so may circulate it."""
    return takes_part(instance_id, user_id)


def urge_task(
    task_id: int, *, actor_id: int, message: str = "", link: str | None = None
) -> list[int]:
    """催办 an open task (starter, predecessors, the unit's 办公室; once an hour per task);
    returns the notified users."""
    return _urge.urge(task_id, actor_id, message, link=link)


def urgeable_tasks(instance_id: int, user_id: int) -> list[int]:
    """Ids of the instance's open tasks the user may 催办."""
    return _urge.urgeable_task_ids(instance_id, user_id)


def delegation_rules(user_id: int) -> list[DelegationView]:
    """The user's own 委托 rules, newest first."""
    return _delegation.rules_of(user_id)


def task_analysis(query: AnalysisQuery) -> list[NodeStats]:
    """公文办理分析: handled count, average and P90 handling time, overdue and reminders of the
    human tasks of ``query`` (per node, or per node and unit, or per node and person)."""
    return _analysis.task_analysis(query)
