"""What the auditor reads on an instance page: the verdict, and one event's data step by step.

The verdict joins the hash-chain check (always run: it is cheap) with a replay report (when
the auditor asked for one). A step is one event with the instance data as it stood after it,
rebuilt by replay, and what changed since the previous event.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from engine import api
from services.errors import Conflict, NotFound, ValidationFailed
from web.workbench.history import field_titles


@dataclass(frozen=True)
class Verdict:
    """The headline the page shows: ``ok`` colours it; ``bad_seq`` marks the event at fault."""

    ok: bool
    headline: str
    detail: str
    bad_seq: int | None = None


def verdict(chain: api.ChainCheck, report: api.ReplayReport | None) -> Verdict:
    """校验通过, or which event is at fault: the chain first, then the replay."""
    if not chain.ok:
        bad = chain.first_bad_seq
        what = "条事件被篡改" if bad is not None and bad <= chain.events else "条及之后的事件缺失"
        return Verdict(False, f"校验未通过：第 {bad} {what}", chain.message, bad)
    if report is None:
        detail = "可点击“重放校验”，按记录的输入重新执行流程，核对每一步的结果。"
        return Verdict(True, f"哈希链完整（共 {chain.events} 条事件）", detail)
    if report.ok:
        return Verdict(True, "校验通过：哈希链完整，重放结果与记录一致", report.message)
    seq = report.divergence.seq if report.divergence is not None else None
    return Verdict(False, f"校验未通过：第 {seq} 条事件与重放结果不一致", report.message, seq)


@dataclass(frozen=True)
class Change:
    """One field of the instance data that differs from the previous event."""

    key: str
    kind: str  # 新增 / 修改 / 删除
    before: str
    after: str


@dataclass(frozen=True)
class Step:
    """One event, the data as of it and its changes; ``problem`` when it cannot be rebuilt."""

    event: api.EventView
    data: dict[str, Any] = field(default_factory=dict)
    changes: list[Change] = field(default_factory=list)
    problem: str | None = None


def step(instance_id: int, event: api.EventView, bad_seq: int | None) -> Step:
    """Event ``event`` with the data rebuilt by replay, unless the chain breaks at or before it."""
    if bad_seq is not None and event.seq >= bad_seq:
        return Step(event, problem=f"第 {bad_seq} 条事件校验未通过，不能据此重建此时的数据。")
    try:
        after = api.data_as_of(instance_id, event.seq)
        before = api.data_as_of(instance_id, event.seq - 1) if event.seq > 1 else {}
    except Conflict as exc:
        return Step(event, problem=exc.message)
    return Step(event, after, changes(before, after))


def changes(before: dict[str, Any], after: dict[str, Any]) -> list[Change]:
    """Fields added, changed or removed between two data snapshots, in key order."""
    found = []
    for key in sorted(before.keys() | after.keys()):
        if key not in before:
            found.append(Change(key, "新增", "", shown(after[key])))
        elif key not in after:
            found.append(Change(key, "删除", shown(before[key]), ""))
        elif before[key] != after[key]:
            found.append(Change(key, "修改", shown(before[key]), shown(after[key])))
    return found


def shown(value: Any) -> str:
    """A data value as text: JSON for lists and objects, 是/否 for booleans."""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return "" if value is None else str(value)


def pretty(value: Any) -> str:
    """An event's recorded data as indented JSON, Chinese kept readable."""
    return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True)


def field_labels(events: list[api.EventView]) -> dict[str, str]:
    """{field name: title} from the forms of the instance's completed tasks.

    A form file removed or broken since is skipped: the page then shows the bare field name
    rather than fail an audit over a label.
    """
    task_ids = {e.data.get("task_id") for e in events if e.kind == "task_completed"}
    labels: dict[str, str] = {}
    for task_id in sorted(t for t in task_ids if isinstance(t, int)):
        try:
            labels.update(field_titles(api.get_task(task_id).form_key))
        except (NotFound, ValidationFailed):
            continue
    return labels
