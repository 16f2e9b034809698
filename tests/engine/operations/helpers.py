"""Deploying, starting and driving the operations test processes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select

from engine import api
from engine.definitions import repository
from engine.runtime.models import HumanTask
from services.db import db
from tests.engine.runtime.helpers import active_rows
from tests.support.bpmn_text import one_step_process

BPMN_DIR = Path(__file__).parent / "bpmn"
SUBJECT = "关于加强防汛工作的通知"

# The 会签 step of the generated processes: one task per signer, votes collected.
COUNTERSIGN_STEP = """<bpmn:userTask id="countersign" name="会签">
      <bpmn:extensionElements>
        <spiffworkflow:properties>
          <spiffworkflow:property name="assignee" value="data:signer" />
        </spiffworkflow:properties>
      </bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:multiInstanceLoopCharacteristics isSequential="{sequential}">
        <bpmn:loopDataInputRef>signers</bpmn:loopDataInputRef>
        <bpmn:loopDataOutputRef>votes</bpmn:loopDataOutputRef>
        <bpmn:inputDataItem id="signer" name="signer"/>
        <bpmn:outputDataItem id="approved" name="approved"/>
        {condition}
      </bpmn:multiInstanceLoopCharacteristics>
    </bpmn:userTask>"""

# Completion rules as analysts write them (see engine/runtime/countersign.py).
RULES = {
    "all": "",
    "any_rejects": "approved == False",
    "two_of_three": "sum(1 for vote in countersign_results if vote) &gt;= 2",
}


def deploy_ops() -> None:
    files = {path.name: path.read_bytes() for path in sorted(BPMN_DIR.glob("*.bpmn"))}
    repository.deploy(files, deployed_by=None, comment="operations tests")
    db.session.commit()


def deploy_countersign(rule: str, sequential: bool) -> str:
    """Deploy a 会签 process with the named completion rule; returns its key."""
    key = f"ops_cs_{rule}_{'seq' if sequential else 'par'}"
    condition = RULES[rule]
    step = COUNTERSIGN_STEP.format(
        sequential=str(sequential).lower(),
        condition=f"<bpmn:completionCondition>{condition}</bpmn:completionCondition>"
        if condition
        else "",
    )
    xml = one_step_process(
        key, "会签规则测试", ("countersign", step), after_name="汇总", spiff_namespace=True
    )
    repository.deploy({f"{key}.bpmn": xml.encode()}, deployed_by=None, comment="会签")
    db.session.commit()
    return key


def start_chain(staff: Any, *, reviewer: Any = "li", approver: str = "zhao") -> api.InstanceView:
    view = api.start_instance(
        "ops_chain",
        starter_id=staff.starter.id,
        data={"title": SUBJECT, "subject": SUBJECT, "reviewer": reviewer, "approver": approver},
    )
    db.session.commit()
    return view


def only_active(instance_id: int) -> HumanTask:
    (row,) = active_rows(instance_id)
    return row


def complete_current(instance_id: int, actor: Any, data: dict[str, Any]) -> HumanTask:
    """Complete the instance's single open task as ``actor``; returns the completed row."""
    row = only_active(instance_id)
    api.complete_task(row.id, actor_id=actor.id, data=data)
    db.session.commit()
    return row


def to_approve(staff: Any, view: api.InstanceView) -> HumanTask:
    """Drive a chain instance to 签发; returns the open approve row."""
    complete_current(view.id, staff.starter, {"subject": SUBJECT})
    complete_current(view.id, staff.reviewer, {"approved": True, "opinion": "同意"})
    return only_active(view.id)


def rows_of(instance_id: int) -> list[HumanTask]:
    query = select(HumanTask).where(HumanTask.instance_id == instance_id).order_by(HumanTask.id)
    return list(db.session.scalars(query.execution_options(populate_existing=True)))


def kinds(instance_id: int) -> list[str]:
    return [event.kind for event in api.history(instance_id)]


__all__ = ["active_rows"]
