"""What the task and instance pages show from an instance's event log.

The data so far is the fold of what was submitted (start data, then each completed task's form
data, in order): it is what read-only fields and earlier opinions of the next form come from,
without loading engine state.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select

from engine import api
from engine.forms import load_form
from services.db import db
from services.org.models import User

EVENT_LABELS = {
    "instance_started": "发起流程",
    "instance_completed": "流程结束",
    "task_created": "生成待办",
    "task_claimed": "签收",
    "task_completed": "办理完成",
    "task_cancelled": "任务取消",
    "gateway_passed": "经过网关",
    "script_run": "执行脚本",
    "service_called": "调用服务",
    "subprocess_passed": "子流程",
    "message_sent": "发送消息",
    "timer_fired": "定时触发",
    "addsign_added": "加签",
    "circulated": "传阅",
    "read": "阅知",
    "recalled": "撤回传阅",
    "task_urged": "催办",
    "task_sent_back": "退回",
    "task_withdrawn": "取回",
    "task_reassigned": "转办",
    "task_skipped": "跳过自动环节",
    "addsign_completed": "加签人办理",
    "addsign_passed": "加签人办理",
    "instance_suspended": "挂起",
    "instance_resumed": "恢复",
    "instance_terminated": "终止",
    "timer_scheduled": "定时器设定",
    "message_received": "收到消息",
    "service_error_caught": "服务出错已捕获",
    "migrated": "版本迁移",
    "incident_opened": "故障",
    "incident_retried": "故障重试",
    "incident_retry_failed": "故障重试失败",
    "incident_resolved": "故障已解决",
}
# Events on the task page's 办理过程与意见 list: completions and 退回 (with the reason).
OPINION_EVENTS = ("task_completed", "task_sent_back")
# Keys whose text is an opinion, besides the opinion widget's lists of signed entries.
OPINION_KEYS = ("comment", "opinion", "yijian", "remark")


@dataclass(frozen=True)
class TimelineEntry:
    """One line of the instance timeline."""

    at: datetime
    actor: str
    label: str
    task_name: str | None
    opinion: str | None
    changes: dict[str, Any] = field(default_factory=dict)


def submitted_data(events: list[api.EventView]) -> dict[str, Any]:
    """The instance data as submitted so far: start data, then each task's form data."""
    data: dict[str, Any] = {}
    for event in events:
        if event.kind in ("instance_started", "task_completed"):
            data.update(event.data.get("data") or {})
    return data


def opinion_of(data: dict[str, Any]) -> str | None:
    """The opinion text a submission carries, if any (newest signed entry for opinion lists)."""
    for key, value in data.items():
        if _is_opinion_list(value):
            return str(value[-1]["text"])
        if isinstance(value, str) and value.strip() and key.lower() in OPINION_KEYS:
            return value
    return None


def _is_opinion_list(value: Any) -> bool:
    """The opinion widget stores a list of signed entries (text, user_id, name, time ...)."""
    return (
        isinstance(value, list)
        and bool(value)
        and isinstance(value[-1], dict)
        and "text" in value[-1]
        and "user_id" in value[-1]
    )


def user_names(ids: set[int | None]) -> dict[int, str]:
    """{user id: name} in one query."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = db.session.execute(select(User.id, User.name).where(User.id.in_(wanted)))
    return {row.id: row.name for row in rows}


def timeline(events: list[api.EventView]) -> list[TimelineEntry]:
    """Events as people read them: who, when, what, opinion and the data submitted."""
    names = user_names({e.actor_id for e in events})
    entries = []
    for event in events:
        if event.kind == "task_created":
            continue  # shown as the next step's assignee, not as a line of its own
        submitted = event.data.get("data") or {}
        entries.append(
            TimelineEntry(
                at=event.at,
                actor=names.get(event.actor_id, "系统") if event.actor_id else "系统",
                label=EVENT_LABELS.get(event.kind, event.kind),
                task_name=event.task_name,
                opinion=_opinion(event, submitted),
                changes=shown_changes(submitted, _titles_of(event)),
            )
        )
    return entries


def _opinion(event: api.EventView, submitted: dict[str, Any]) -> str | None:
    if event.kind == "task_completed":
        return opinion_of(submitted)
    reason = event.data.get("reason")  # 退回, 转办, 加签 ... carry the actor's reason
    return f"理由：{reason}" if isinstance(reason, str) and reason.strip() else None


def shown_changes(submitted: Any, titles: dict[str, str] | None = None) -> dict[str, str]:
    """Submitted data as text per field title: opinion lists by their texts, structures as
    JSON."""
    if not isinstance(submitted, dict):
        return {}
    titles = titles or {}
    return {titles.get(key) or str(key): display_value(value) for key, value in submitted.items()}


def _titles_of(event: api.EventView) -> dict[str, str]:
    """Field titles of the form the event's task used (none for other events)."""
    task_id = event.data.get("task_id")
    if event.kind != "task_completed" or not isinstance(task_id, int):
        return {}
    return field_titles(api.get_task(task_id).form_key)


def field_titles(form_key: str | None) -> dict[str, str]:
    """{field name: title} of a form's top-level fields."""
    properties = load_form(form_key).schema.get("properties") or {}
    return {name: str(prop.get("title") or name) for name, prop in properties.items()}


def display_value(value: Any) -> str:
    """One submitted value as a line of text."""
    if (
        isinstance(value, list)
        and value
        and all(isinstance(v, dict) and "text" in v for v in value)
    ):
        return "；".join(str(v["text"]) for v in value)
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return "" if value is None else str(value)


def opinions(events: list[api.EventView]) -> list[TimelineEntry]:
    """The completed and sent-back tasks with their opinions or reasons, oldest first (the task
    page's 意见 history)."""
    shown = {EVENT_LABELS[kind] for kind in OPINION_EVENTS}
    return [e for e in timeline(events) if e.label in shown]


@dataclass(frozen=True)
class SentBack:
    """Why a step is back in someone's hands: who sent it back from where, and the reason."""

    actor: str
    from_step: str
    reason: str
    at: datetime


def sent_back_to(events: list[api.EventView], task_spec: str) -> SentBack | None:
    """The 退回 that reopened ``task_spec``, unless the step was completed again since."""
    found: api.EventView | None = None
    for event in events:
        if event.kind == "task_sent_back" and event.data.get("target") == task_spec:
            found = event
        elif event.kind == "task_completed" and event.task_spec == task_spec:
            found = None
    if found is None:
        return None
    actor = user_names({found.actor_id}).get(found.actor_id or 0, "系统")
    reason = str(found.data.get("reason") or "")
    return SentBack(actor, found.task_name or "", reason, found.at)


def passed_nodes(events: list[api.EventView]) -> list[str]:
    """Ids of the BPMN elements the instance has gone through, in order, without repeats."""
    return list(dict.fromkeys(e.task_spec for e in events if e.task_spec))
