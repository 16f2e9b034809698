"""Messages across instances: outgoing rows, waiting subscriptions, delivery exactly once.

SpiffWorkflow correlates messages only inside one instance (trap 5); between instances it is our
job. The pieces:

* **Outgoing messages are rows** (``EngineMessage``), written in the sender's transaction: from a
  BPMN message throw or end event (drained from Spiff's uncaught events at save time), from the
  service task ``engine.send_message``, or from ``send_message`` (admins, the API).
* **Subscriptions are rows** (``MessageSubscription``), synced at every save from the waiting
  message catch events (intermediate catch, receive task, boundary, message start). A catch event
  declares its correlation with the property ``correlation``: a sandbox expression over the task
  data giving a dict, e.g. ``{"doc_id": doc_id}``. A message matches a subscription when the name
  is the same and the correlation dicts are equal.
* **Delivery** (``deliver_messages``, a scheduler job) claims pending messages like timers are
  claimed, then delivers each to the oldest matching subscription, or, when none waits, starts one
  instance of every process whose start event is a message start event of that name (one 收文 per
  message). A message nobody waits for stays pending and is tried again on the next run.

The correlation of a BPMN-thrown message is Spiff's, computed from the process's correlation
properties, flattened to ``{property: value}``.
"""

from __future__ import annotations

import json
import logging
import weakref
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.util import BpmnEvent
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select, update
from sqlalchemy.exc import SQLAlchemyError

from engine.definitions import repository
from engine.definitions.models import ProcessDefinition
from engine.errors import EngineError
from engine.registry import default_registry
from engine.runtime import runtime, timers
from engine.runtime.history import EventLog
from engine.runtime.locking import lock_instance
from engine.runtime.models import ProcessInstance
from engine.runtime.wait_models import EngineMessage, MessageSubscription
from services import claims, clock
from services.db import db
from services.errors import NotFound

_KINDS = {
    "StartEvent": "start",
    "ReceiveTask": "receive",
    "BoundaryEvent": "boundary",
    "IntermediateCatchEvent": "intermediate",
}
log = logging.getLogger(__name__)
NO_RECEIVER = "暂无等待该消息的流程实例，也没有以该消息启动的流程"


def correlation_key(correlation: dict[str, Any]) -> str:
    """Canonical JSON of a correlation dict: equal dicts give equal keys."""
    return json.dumps(correlation, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def send_message(
    name: str,
    correlation: dict[str, Any] | None = None,
    payload: dict[str, Any] | None = None,
    *,
    source_instance_id: int | None = None,
    sender_id: int | None = None,
) -> EngineMessage:
    """Queue a message in the caller's transaction; ``deliver_messages`` delivers it."""
    correlation = dict(correlation or {})
    row = EngineMessage(
        name=name,
        correlation=correlation,
        correlation_key=correlation_key(correlation),
        payload=dict(payload or {}),
        source_instance_id=source_instance_id,
        sender_id=sender_id,
        status="pending",
        delivered_to=[],
        attempts=0,
        created_at=clock.now(),
    )
    db.session.add(row)
    return row


# ---------------------------------------------------------------------------- rows at save time


def sync_messages(instance: ProcessInstance, workflow: Any, log: EventLog) -> None:
    """Queue the messages the run threw and mirror waiting catch events as subscriptions."""
    for event in _drain_thrown_messages(workflow):
        correlation = _flatten(event.correlations)
        payload = event.payload if isinstance(event.payload, dict) else {"value": event.payload}
        name = event.event_definition.name
        send_message(name, correlation, payload, source_instance_id=instance.id)
        log.append("message_sent", data={"name": name, "correlation": correlation})
    waiting = {str(task.id): task for task in _waiting_message_tasks(workflow)}
    if waiting or _spec_has_message_catch(workflow):
        _sync_subscriptions(instance, workflow, waiting)


def _drain_thrown_messages(workflow: Any) -> list[Any]:
    """Messages no task of this instance caught; other uncaught events stay with Spiff."""
    thrown = [
        e for e in workflow.bpmn_events if isinstance(e.event_definition, MessageEventDefinition)
    ]
    workflow.bpmn_events = [e for e in workflow.bpmn_events if e not in thrown]
    return thrown


def _flatten(correlations: dict[str, Any]) -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for values in (correlations or {}).values():
        flat.update(values if isinstance(values, dict) else {})
    return flat


def _waiting_message_tasks(workflow: Any) -> list[Any]:
    return [
        task
        for task in workflow.event_manager.tasks.values()
        if isinstance(task.task_spec.event_definition, MessageEventDefinition)
        and task.state == TaskState.WAITING
    ]


_has_catch: weakref.WeakKeyDictionary[Any, bool] = weakref.WeakKeyDictionary()


def _spec_has_message_catch(workflow: Any) -> bool:
    """Whether the process can wait for a message at all (cached per spec): skips a query."""
    spec = workflow.spec
    found = _has_catch.get(spec)
    if found is None:
        found = any(
            type(ts).__name__ in _KINDS
            and isinstance(getattr(ts, "event_definition", None), MessageEventDefinition)
            for process in [spec, *workflow.subprocess_specs.values()]
            for ts in process.task_specs.values()
        )
        _has_catch[spec] = found
    return found


def _sync_subscriptions(instance: ProcessInstance, workflow: Any, waiting: dict[str, Any]) -> None:
    rows = db.session.scalars(
        select(MessageSubscription).where(
            MessageSubscription.instance_id == instance.id, MessageSubscription.active.is_(True)
        )
    )
    known = set()
    for row in rows:
        known.add(row.spiff_task_id)
        if row.spiff_task_id not in waiting:
            row.active = False
    for spiff_id, task in waiting.items():
        if spiff_id not in known:
            db.session.add(_new_subscription(instance, workflow, task))


def _new_subscription(instance: ProcessInstance, workflow: Any, task: Any) -> MessageSubscription:
    spec = task.task_spec
    correlation = _catch_correlation(workflow, task)
    return MessageSubscription(
        instance_id=instance.id,
        spiff_task_id=str(task.id),
        task_spec=spec.bpmn_id or spec.name,
        kind=_KINDS.get(type(spec).__name__, "intermediate"),
        message_name=spec.event_definition.name,
        correlation=correlation,
        correlation_key=correlation_key(correlation),
        active=True,
        created_at=clock.now(),
    )


def _catch_correlation(workflow: Any, task: Any) -> dict[str, Any]:
    """The catch event's ``correlation`` property, evaluated on the task data."""
    extensions = getattr(task.task_spec, "extensions", None) or {}
    expression = (extensions.get("properties") or {}).get("correlation")
    if not expression:
        return {}
    try:
        value = workflow.script_engine.evaluate(task, expression)
    except SpiffWorkflowException as exc:
        raise _catch_error(task, f"消息关联表达式出错：{exc}") from exc
    if not isinstance(value, dict):
        raise _catch_error(task, "消息关联表达式应返回字典，如 {'doc_id': doc_id}")
    return value


def _catch_error(task: Any, message: str) -> EngineError:
    return EngineError(f"“{runtime.task_name(task)}”：{message}", task_spec=task.task_spec.bpmn_id)


# ---------------------------------------------------------------------------- delivery


def deliver_messages(limit: int = 100, worker_id: str | None = None) -> int:
    """Deliver up to ``limit`` pending messages, committing per message; returns how many.

    A job function: it owns its transactions. Safe to run in several processes at once.
    """
    worker = worker_id or claims.default_worker_id()
    now = clock.now()
    claimable = claims.unclaimed(EngineMessage, now, timers.CLAIM_TIMEOUT)
    due = select(EngineMessage).where(claimable).order_by(EngineMessage.id).limit(limit)
    ids = claims.claim_rows(EngineMessage, due, claimable, worker, now)
    db.session.commit()
    return sum(_deliver_one(message_id, worker) for message_id in ids)


def _deliver_one(message_id: int, worker: str) -> int:
    try:
        delivered = _deliver(message_id, worker)
        db.session.commit()
        return int(delivered)
    except Exception as exc:  # one bad message must never stop the scheduler loop
        db.session.rollback()
        _release(message_id, str(getattr(exc, "message", None) or exc))
        return 0


def _deliver(message_id: int, worker: str) -> bool:
    if not _still_ours(message_id, worker):
        return False
    message = db.session.get(EngineMessage, message_id, populate_existing=True)
    if message is None:
        return False
    subscription = _matching_subscription(message)
    if subscription is not None:
        targets = [subscription.instance_id] if _catch(subscription, message) else []
    else:
        targets = _start_instances(message)
    if not targets:
        _release(message_id, NO_RECEIVER, commit=False)
        return False
    message.status, message.delivered_at = "delivered", clock.now()
    message.delivered_to, message.attempts = targets, message.attempts + 1
    return True


def _still_ours(message_id: int, worker: str) -> bool:
    """Start the transaction with a write on our claimed row: it locks the row (PostgreSQL) or
    the database (SQLite, where a transaction that starts by reading may not write later)."""
    result = db.session.execute(
        update(EngineMessage)
        .where(
            EngineMessage.id == message_id,
            EngineMessage.status == "claimed",
            EngineMessage.claimed_by == worker,
        )
        .values(claimed_at=clock.now())
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def _matching_subscription(message: EngineMessage) -> MessageSubscription | None:
    return db.session.scalars(
        select(MessageSubscription)
        .join(ProcessInstance, ProcessInstance.id == MessageSubscription.instance_id)
        .where(
            MessageSubscription.message_name == message.name,
            MessageSubscription.correlation_key == message.correlation_key,
            MessageSubscription.active.is_(True),
            MessageSubscription.kind != "start",
            ProcessInstance.status == "running",
        )
        .order_by(MessageSubscription.id)
        .limit(1)
    ).first()


def _catch(subscription: MessageSubscription, message: EngineMessage) -> bool:
    """Hand the message to the subscribed catch event and run the instance on."""
    instance = lock_instance(subscription.instance_id)
    db.session.refresh(subscription)
    if not subscription.active or instance.status != "running":
        return False
    open_rows = runtime.open_rows(instance.id)
    with db.session.no_autoflush:
        step = runtime.load(instance)
        task = step.workflow.get_task_from_id(UUID(subscription.spiff_task_id))
        if task is None or task.state != TaskState.WAITING:
            return False
        step.log.append(
            "message_received",
            task_spec=subscription.task_spec,
            task_name=runtime.task_name(task),
            data={"message_id": message.id, "name": message.name, "payload": message.payload},
        )
        event = BpmnEvent(task.task_spec.event_definition, payload=dict(message.payload))
        task.task_spec.catch(task, event)
        task.task_spec._update(task)
        runtime.run_engine(step)
        runtime.finish(step, open_rows)
    return True


def _start_instances(message: EngineMessage) -> list[int]:
    """One new instance per process started by this message; their ids."""
    keys = message_start_processes(message.name)
    if not keys:
        return []
    starter_id = _starter_for(message)
    started = []
    for key in keys:
        instance = runtime.start(key, starter_id=starter_id, data={})
        db.session.flush()
        subscription = db.session.scalars(
            select(MessageSubscription).where(
                MessageSubscription.instance_id == instance.id,
                MessageSubscription.kind == "start",
                MessageSubscription.message_name == message.name,
            )
        ).one()
        _catch(subscription, message)
        started.append(instance.id)
    return started


def _starter_for(message: EngineMessage) -> int:
    """Who a message-started instance counts as started by: the sender, or the sending
    instance's starter."""
    if message.sender_id is not None:
        return message.sender_id
    source = db.session.get(ProcessInstance, message.source_instance_id or 0)
    if source is None:
        raise EngineError("消息没有发送人，无法启动流程", code="message_without_sender")
    return source.starter_id


def message_start_processes(name: str) -> list[str]:
    """Keys of the processes whose latest version starts with a message start event ``name``."""
    keys = []
    for key in db.session.scalars(select(ProcessDefinition.key).order_by(ProcessDefinition.key)):
        # The id only: loading the version row would read its files and spec text each time.
        loaded = repository.load_spec(repository.latest_version_id(key))
        if _starts_on(loaded.spec, name):
            keys.append(key)
    return keys


def _starts_on(spec: Any, name: str) -> bool:
    return any(
        type(ts).__name__ == "StartEvent"
        and isinstance(getattr(ts, "event_definition", None), MessageEventDefinition)
        and ts.event_definition.name == name
        for ts in spec.task_specs.values()
    )


def _release(message_id: int, error: str, *, commit: bool = True) -> None:
    """Back to pending with the reason: the next run tries again."""
    try:
        db.session.execute(
            update(EngineMessage)
            .where(EngineMessage.id == message_id)
            .values(
                status="pending",
                claimed_by=None,
                attempts=EngineMessage.attempts + 1,
                last_error=error[:2000],
            )
            .execution_options(synchronize_session=False)
        )
        if commit:
            db.session.commit()
    except SQLAlchemyError:
        db.session.rollback()
        log.exception("无法记录消息 %s 的投递失败", message_id)


def get_message(message_id: int) -> EngineMessage:
    """One message row (NotFound with a Chinese message)."""
    row = db.session.get(EngineMessage, message_id)
    if row is None:
        raise NotFound("消息不存在", message_id=message_id)
    return row


def _send_from_task(
    name: str,
    correlation: dict[str, Any] | None = None,
    payload: dict[str, Any] | None = None,
    *,
    context: dict[str, Any],
) -> dict[str, Any]:
    """Service task ``engine.send_message``: queue a message from the running instance."""
    send_message(name, correlation, payload, source_instance_id=context["instance_id"])
    return {"sent": name}


default_registry.register(
    "engine.send_message",
    _send_from_task,
    params={"name": str, "correlation": dict, "payload": dict},
    description="向其他流程实例发送消息（按消息名和关联键投递，或以消息启动流程）",
    with_context=True,
)
