"""Deploying versions: immutable, no-op on identical content, spec stored once, loaded cached."""

from __future__ import annotations

import json

import pytest
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import func, select

from engine.definitions import repository
from engine.definitions.models import ProcessDefinition, ProcessVersion
from engine.errors import DeployError
from engine.sandbox import make_script_engine
from services import clock
from services.db import db
from services.errors import NotFound
from tests.engine.definitions.conftest import fixture_files, qingjia_files
from tests.org.factories import make_user


def count_versions() -> int:
    return db.session.scalar(select(func.count()).select_from(ProcessVersion)) or 0


def test_first_deploy_creates_version_one(app, frozen_clock: clock.FrozenClock) -> None:
    deployer = make_user("analyst")
    (deployed,) = repository.deploy(qingjia_files(), deployed_by=deployer.id, comment="首次发布")
    db.session.commit()
    assert (deployed.key, deployed.version, deployed.created, deployed.name) == (
        "qingjia", 1, True, "请假申请",
    )  # fmt: skip
    version = repository.get_version(deployed.version_id)
    assert version.deployed_by_id == deployer.id
    assert version.deployed_at == frozen_clock.current
    assert version.comment == "首次发布"
    assert version.files["qingjia.bpmn"] == qingjia_files()["qingjia.bpmn"].decode("utf-8")
    assert len(version.checksum) == 64


def test_identical_redeploy_is_a_no_op(app) -> None:
    (first,) = repository.deploy(qingjia_files(), deployed_by=None)
    db.session.commit()
    (again,) = repository.deploy(qingjia_files(), deployed_by=None, comment="重复")
    db.session.commit()
    assert (again.version_id, again.version, again.created) == (first.version_id, 1, False)
    assert count_versions() == 1


def test_changed_content_makes_a_new_version_and_keeps_the_old(app) -> None:
    (first,) = repository.deploy(qingjia_files(), deployed_by=None)
    changed = qingjia_files()["qingjia.bpmn"].replace(b"days &gt; 3", b"days &gt; 5")
    (second,) = repository.deploy({"qingjia.bpmn": changed}, deployed_by=None, tag="v2")
    db.session.commit()
    assert (second.version, second.created) == (2, True)
    assert repository.latest_version("qingjia").id == second.version_id
    assert "days &gt; 3" in repository.get_version(first.version_id).files["qingjia.bpmn"]
    assert repository.get_version(second.version_id).tag == "v2"
    assert [v.version for v in repository.list_versions("qingjia")] == [1, 2]


def test_redeploying_an_older_content_is_a_new_version(app) -> None:
    repository.deploy(qingjia_files(), deployed_by=None)
    changed = qingjia_files()["qingjia.bpmn"].replace(b"P3D", b"P5D")
    repository.deploy({"qingjia.bpmn": changed}, deployed_by=None)
    (third,) = repository.deploy(qingjia_files(), deployed_by=None)
    assert (third.version, third.created) == (3, True)


def test_refused_deploy_stores_nothing(app) -> None:
    with pytest.raises(DeployError):
        repository.deploy(fixture_files("orphan_node.bpmn"), deployed_by=None)
    assert count_versions() == 0
    assert db.session.scalar(select(func.count()).select_from(ProcessDefinition)) == 0


def test_one_deploy_with_a_called_process_stores_each_executable_process(app) -> None:
    deployed = repository.deploy(
        fixture_files("with_decision.bpmn", "approver.dmn"), deployed_by=None
    )
    assert sorted(d.key for d in deployed) == ["sub_process", "with_decision"]
    loaded = repository.load_spec(next(d for d in deployed if d.key == "with_decision").version_id)
    assert set(loaded.subprocess_specs) == {"sub_process"}
    assert loaded.decide("approver", {"days": 5}) == {"assignee": "chief"}
    assert loaded.decide("approver", {"days": 2}) == {"assignee": "head"}


def test_spec_is_stored_once_as_utf8_json(app) -> None:
    (deployed,) = repository.deploy(qingjia_files(), deployed_by=None)
    text = repository.get_version(deployed.version_id).spec_json
    assert "部门负责人审批" in text and "\\u" not in text
    document = json.loads(text)
    assert document["spec"]["name"] == "qingjia"
    assert set(document["spec"]["task_specs"]) >= {"apply", "dept_approve", "supervisor_approve"}


def test_latest_version_of_unknown_key_is_not_found(app) -> None:
    with pytest.raises(NotFound, match="流程 nope 尚未部署"):
        repository.latest_version("nope")
    with pytest.raises(NotFound):
        repository.get_version(999)


def test_list_definitions(app) -> None:
    repository.deploy(qingjia_files(), deployed_by=None, comment="第一版")
    repository.deploy(fixture_files("bpmnio_plain.bpmn"), deployed_by=None)
    summaries = repository.list_definitions()
    assert [(s.key, s.name, s.latest_version) for s in summaries] == [
        ("Process_baoxiao", "报销审批", 1),
        ("qingjia", "请假申请", 1),
    ]
    assert summaries[1].comment == "第一版" and summaries[1].version_count == 1


def test_load_spec_is_cached_per_version(app) -> None:
    (deployed,) = repository.deploy(qingjia_files(), deployed_by=None)
    first = repository.load_spec(deployed.version_id)
    assert repository.load_spec(deployed.version_id) is first
    repository.clear_spec_cache()
    assert repository.load_spec(deployed.version_id) is not first


def run_to_ready(workflow: BpmnWorkflow) -> list[str]:
    workflow.do_engine_steps()
    return [t.task_spec.bpmn_id for t in workflow.get_tasks(state=TaskState.READY, manual=True)]


def complete(workflow: BpmnWorkflow, **data: object) -> list[str]:
    (task,) = workflow.get_tasks(state=TaskState.READY, manual=True)
    task.data.update(data)
    workflow.run_task_from_id(task.id)
    return run_to_ready(workflow)


@pytest.mark.parametrize(
    ("days", "path"),
    [
        (2, ["dept_approve", "end"]),
        (5, ["dept_approve", "supervisor_approve", "end"]),
    ],
)
def test_loaded_qingjia_spec_runs_with_the_sandbox(app, days: int, path: list[str]) -> None:
    (deployed,) = repository.deploy(qingjia_files(), deployed_by=None)
    loaded = repository.load_spec(deployed.version_id)
    workflow = BpmnWorkflow(
        loaded.spec, loaded.subprocess_specs, script_engine=make_script_engine()
    )
    assert run_to_ready(workflow) == ["apply"]
    expected = list(path)  # parametrized values are shared by both backends
    seen = complete(workflow, days=days, reason="探亲")
    while seen:
        assert seen[0] == expected.pop(0)
        seen = complete(workflow, approved=True)
    assert expected == ["end"] and workflow.completed


def test_reject_path_returns_to_apply(app) -> None:
    (deployed,) = repository.deploy(qingjia_files(), deployed_by=None)
    loaded = repository.load_spec(deployed.version_id)
    workflow = BpmnWorkflow(
        loaded.spec, loaded.subprocess_specs, script_engine=make_script_engine()
    )
    run_to_ready(workflow)
    assert complete(workflow, days=1, reason="事") == ["dept_approve"]
    assert complete(workflow, approved=False) == ["apply"]


def test_versions_cannot_be_changed(app) -> None:
    (deployed,) = repository.deploy(qingjia_files(), deployed_by=None)
    db.session.commit()
    version = repository.get_version(deployed.version_id)
    version.comment = "改过"
    with pytest.raises(ValueError, match="流程版本不可修改：qingjia v1"):
        db.session.flush()
    db.session.rollback()
