"""`oa replay` and `oa migrate`: verdicts, exit codes, dry run by default."""

from __future__ import annotations

from sqlalchemy import update

from engine.runtime.models import InstanceEvent, ProcessInstance
from services.db import db
from tests.engine.replay.conftest import BPMN_DIR, deploy_file
from tests.engine.replay.flows import APPROVE, run_approval
from tests.engine.runtime.helpers import active_rows
from web.commands.engine import migrate, replay


def invoke(app, command, *args: str):
    return app.test_cli_runner().invoke(command, list(args))


def test_replay_command_passes_an_untouched_instance(app, people) -> None:
    instance_id = run_approval(people, APPROVE)
    result = invoke(app, replay, str(instance_id))
    assert result.exit_code == 0, result.output
    assert "重放一致" in result.output


def test_replay_command_fails_on_a_tampered_event(app, people) -> None:
    instance_id = run_approval(people, APPROVE)
    db.session.execute(
        update(InstanceEvent)
        .where(InstanceEvent.instance_id == instance_id, InstanceEvent.seq == 1)
        .values(actor_id=None)
    )
    db.session.commit()
    result = invoke(app, replay, str(instance_id))
    assert result.exit_code == 1
    assert "哈希链校验失败" in result.output and "第 1 条" in result.output


def version_of(instance_id: int) -> int:
    instance = db.session.get(ProcessInstance, instance_id)
    db.session.refresh(instance)
    return instance.version_id


def test_migrate_command_is_a_dry_run_unless_told(app, people) -> None:
    instance_id = run_approval(people, APPROVE[:1])
    v1 = version_of(instance_id)
    v2 = deploy_file(BPMN_DIR / "approval_renamed.bpmn")

    dry = invoke(app, migrate, "--to-version", "2", str(instance_id))
    assert dry.exit_code == 0, dry.output
    assert "可以迁移" in dry.output and "预演" in dry.output
    assert version_of(instance_id) == v1

    done = invoke(app, migrate, "--to-version", "2", "--apply", str(instance_id))
    assert done.exit_code == 0, done.output
    assert version_of(instance_id) == v2
    assert [r.name for r in active_rows(instance_id)] == ["审核（修订）"]


def test_migrate_command_refuses_a_removed_current_task(app, people) -> None:
    instance_id = run_approval(people, APPROVE[:1])
    v1 = version_of(instance_id)
    deploy_file(BPMN_DIR / "approval_review_removed.bpmn")
    result = invoke(app, migrate, "--to-version", "2", "--apply", str(instance_id))
    assert result.exit_code == 1
    assert "拒绝迁移" in result.output and "已删除" in result.output
    assert version_of(instance_id) == v1
