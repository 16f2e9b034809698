"""Migrating running instances to a newer version, or refusing with a reason."""

from __future__ import annotations

import pytest
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import func, select

from engine import api
from engine.runtime import history, migration, replay, runtime
from engine.runtime.models import InstanceEvent, ProcessInstance
from services.db import db
from services.errors import Conflict
from tests.engine.replay.conftest import BPMN_DIR, deploy_file
from tests.engine.replay.flows import APPROVE, advance, run_approval
from tests.engine.runtime.helpers import active_rows


def at_review(people) -> int:
    return run_approval(people, APPROVE[:1])


def snapshot(instance_id: int) -> tuple[object, ...]:
    instance = db.session.get(ProcessInstance, instance_id)
    db.session.refresh(instance)
    events = db.session.scalar(
        select(func.count())
        .select_from(InstanceEvent)
        .where(InstanceEvent.instance_id == instance_id)
    )
    rows = [(r.id, r.name, r.status) for r in active_rows(instance_id)]
    return (instance.version_id, instance.revision, instance.state, events, rows)


def migrate(instance_id: int, to_version_id: int, actor_id: int) -> migration.MigrationPlan:
    plan = migration.plan_migration([instance_id], to_version_id)
    migration.apply_migration(plan, actor_id)
    db.session.commit()
    return plan


def test_renamed_current_task_migrates_and_the_inbox_follows(people) -> None:
    instance_id = at_review(people)
    v2 = deploy_file(BPMN_DIR / "approval_renamed.bpmn")

    plan = migrate(instance_id, v2, people.outsider.id)

    (item,) = plan.instances
    assert item.allowed and [t.spec for t in item.tasks] == ["review"]
    assert item.tasks[0].outcome.startswith("保留，按新定义更新")
    assert [c.spec for c in item.diff.changed] == ["review"]
    (row,) = active_rows(instance_id)
    assert (row.task_spec, row.name, row.assignee_id) == (
        "review",
        "审核（修订）",
        people.reviewer.id,
    )
    assert db.session.get(ProcessInstance, instance_id).version_id == v2
    advance(people, instance_id, "reviewer", "review", {"approved": True})
    assert db.session.get(ProcessInstance, instance_id).status == "completed"


def test_added_step_after_the_current_one_is_reached_later(people) -> None:
    instance_id = at_review(people)
    v2 = deploy_file(BPMN_DIR / "approval_added_step.bpmn")

    plan = migrate(instance_id, v2, people.outsider.id)

    assert [n.spec for n in plan.instances[0].diff.added] == ["check"]
    advance(people, instance_id, "reviewer", "review", {"approved": True})
    (row,) = active_rows(instance_id)
    assert (row.task_spec, row.name) == ("check", "核稿")
    advance(people, instance_id, "starter", "check", {"opinion": "已核"})
    instance = db.session.get(ProcessInstance, instance_id)
    assert instance.status == "completed"
    assert replay.replay(instance_id).ok


def test_apply_records_a_migrated_event_in_the_chain(people) -> None:
    instance_id = at_review(people)
    v1 = db.session.get(ProcessInstance, instance_id).version_id
    v2 = deploy_file(BPMN_DIR / "approval_renamed.bpmn")

    migrate(instance_id, v2, people.outsider.id)

    events = history.history(instance_id)
    migrated = [e for e in events if e.kind == "migrated"]
    assert len(migrated) == 1
    assert migrated[0].actor_id == people.outsider.id
    assert migrated[0].data == {"from_version_id": v1, "to_version_id": v2}
    assert history.verify_instance(instance_id).ok
    report = replay.replay(instance_id)
    assert report.ok, report.message


@pytest.mark.parametrize("fixture", ["approval_renamed.bpmn", "approval_review_removed.bpmn"])
def test_dry_run_writes_nothing(people, fixture) -> None:
    instance_id = at_review(people)
    v2 = deploy_file(BPMN_DIR / fixture)
    before = snapshot(instance_id)

    migration.plan_migration([instance_id], v2)
    db.session.commit()

    assert snapshot(instance_id) == before


def test_removed_current_task_is_refused(people) -> None:
    instance_id = at_review(people)
    v2 = deploy_file(BPMN_DIR / "approval_review_removed.bpmn")
    before = snapshot(instance_id)

    plan = migration.plan_migration([instance_id], v2)

    (item,) = plan.instances
    assert not item.allowed and "已删除" in item.reasons[0]
    assert [n.spec for n in item.diff.removed] == ["review"]
    with pytest.raises(Conflict, match="迁移被拒绝"):
        migration.apply_migration(plan, people.outsider.id)
    db.session.rollback()
    assert snapshot(instance_id) == before


def test_removed_later_task_does_not_block_an_instance_before_it(people) -> None:
    instance_id = run_approval(people, [])
    v2 = deploy_file(BPMN_DIR / "approval_review_removed.bpmn")
    migrate(instance_id, v2, people.outsider.id)
    # Without 审核 the draft itself carries the decision the gateway reads.
    advance(people, instance_id, "starter", "draft", {"subject": "改", "approved": True})
    assert active_rows(instance_id) == []
    assert replay.replay(instance_id).ok


def start_countersign(people, signed: int) -> int:
    deploy_file(BPMN_DIR / "countersign_v1.bpmn")
    view = api.start_instance(
        "replay_countersign", starter_id=people.starter.id, data={"signers": ["a", "b", "c"]}
    )
    db.session.commit()
    for row in active_rows(view.id)[:signed]:
        api.complete_task(row.id, actor_id=people.starter.id, data={"opinion": "同意"})
        db.session.commit()
    return view.id


def test_countersign_nobody_signed_yet_migrates(people) -> None:
    instance_id = start_countersign(people, 0)
    v2 = deploy_file(BPMN_DIR / "countersign_v2.bpmn")

    plan = migrate(instance_id, v2, people.outsider.id)

    assert [t.name for t in plan.instances[0].tasks] == ["会签"] * 3
    rows = active_rows(instance_id)
    assert [r.name for r in rows] == ["部门会签"] * 3
    for row in rows:
        api.complete_task(row.id, actor_id=people.starter.id, data={"opinion": "同意"})
        db.session.commit()
    assert db.session.get(ProcessInstance, instance_id).status == "completed"
    assert replay.replay(instance_id).ok


@pytest.mark.parametrize("signed", [1, 2])
def test_partly_signed_countersign_is_refused(people, signed) -> None:
    instance_id = start_countersign(people, signed)
    v2 = deploy_file(BPMN_DIR / "countersign_v2.bpmn")

    plan = migration.plan_migration([instance_id], v2)

    (item,) = plan.instances
    assert not item.allowed
    assert any("会签已部分完成" in reason for reason in item.reasons)
    with pytest.raises(Conflict):
        migration.apply_migration(plan, people.outsider.id)


def test_stale_plan_is_refused(people) -> None:
    instance_id = run_approval(people, [])
    v2 = deploy_file(BPMN_DIR / "approval_renamed.bpmn")
    plan = migration.plan_migration([instance_id], v2)
    advance(people, instance_id, "starter", "draft", {"subject": "改"})
    with pytest.raises(Conflict):
        migration.apply_migration(plan, people.outsider.id)


@pytest.mark.parametrize(
    ("case", "reason"),
    [("same_version", "已在目标版本"), ("other_process", "不同"), ("completed", "已结束")],
)
def test_instance_level_refusals(people, case, reason) -> None:
    instance_id = run_approval(people, APPROVE if case == "completed" else [])
    target = db.session.get(ProcessInstance, instance_id).version_id
    if case == "other_process":
        target = deploy_file(BPMN_DIR / "countersign_v1.bpmn")
    if case == "completed":
        target = deploy_file(BPMN_DIR / "approval_renamed.bpmn")
    (item,) = migration.plan_migration([instance_id], target).instances
    assert not item.allowed and reason in item.reasons[0]


def test_diff_versions_names_added_removed_and_changed_nodes(people) -> None:
    run_approval(people, [])
    v1 = db.session.scalar(select(ProcessInstance.version_id))
    added = deploy_file(BPMN_DIR / "approval_added_step.bpmn")
    removed = deploy_file(BPMN_DIR / "approval_review_removed.bpmn")

    grown = migration.diff_versions(v1, added)
    shrunk = migration.diff_versions(v1, removed)

    assert [(n.spec, n.name) for n in grown.added] == [("check", "核稿")]
    assert grown.removed == () and "decide" in [n.spec for n in grown.changed]
    assert [(n.spec, n.name) for n in shrunk.removed] == [("review", "审核")]
    assert shrunk.added == ()


def test_migration_keeps_the_data_of_open_tasks(people) -> None:
    changed = "关于调整春节值班安排的通知"
    instance_id = run_approval(people, [("starter", "draft", {"subject": changed})])
    v2 = deploy_file(BPMN_DIR / "approval_added_step.bpmn")

    migrate(instance_id, v2, people.outsider.id)

    workflow = runtime.load(db.session.get(ProcessInstance, instance_id)).workflow
    (task,) = workflow.get_tasks(state=TaskState.READY, manual=True)
    assert task.data["subject"] == changed
