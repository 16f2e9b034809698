"""Moving running instances to another version of their process, or refusing with a reason.

Running instances stay on the version they started on until an administrator migrates them.
``plan_migration`` is the dry run: per instance the node diff (SpiffWorkflow's ``SpecDiff``)
and what happens to each open task. ``apply_migration`` carries a plan out under the instance
lock. A migration that would lose or redo work is refused: an open task whose node is removed
or changed in its type or data mapping, a 会签 (multi-instance) with some signers done (trap 8:
Spiff would wipe or re-ask them), a task that is running or failed, or an open subprocess.

Only READY user tasks are reset onto the new spec (keeping their data: after compaction their
parent is the start task, whose data Spiff would otherwise copy in). Waiting tasks keep their
state, so a running deadline timer does not start again.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import LoopTask
from SpiffWorkflow.bpmn.util.diff import SpecDiff, WorkflowDiff, migrate_workflow
from SpiffWorkflow.util.task import TaskState

from engine.definitions import repository
from engine.runtime import persistence
from engine.runtime import runtime as _runtime
from engine.runtime.locking import lock_instance
from engine.runtime.models import HumanTask, ProcessInstance
from services.db import db
from services.errors import Conflict, NotFound

# Attributes whose change makes a waiting task's collected data meaningless or lost.
LOSSY_FIELDS = frozenset(
    {
        "typename",
        "task_spec",
        "data_input",
        "data_output",
        "input_item",
        "output_item",
        "cardinality",
        "data_input_associations",
        "data_output_associations",
    }
)
_OPEN = TaskState.READY | TaskState.WAITING | TaskState.STARTED | TaskState.ERROR


@dataclass(frozen=True)
class NodeChange:
    """One node (BPMN element) that differs between two versions."""

    spec: str
    name: str
    fields: tuple[str, ...] = ()


@dataclass(frozen=True)
class VersionDiff:
    """Nodes added, removed and changed from version ``from_version_id`` to ``to_version_id``."""

    from_version_id: int
    to_version_id: int
    added: tuple[NodeChange, ...]
    removed: tuple[NodeChange, ...]
    changed: tuple[NodeChange, ...]


@dataclass(frozen=True)
class OpenTaskPlan:
    """What the migration does to one unfinished task."""

    spec: str
    name: str
    allowed: bool
    outcome: str


@dataclass(frozen=True)
class InstanceMigration:
    """The dry-run result for one instance (``revision`` pins the state it was planned on)."""

    instance_id: int
    title: str
    from_version_id: int
    to_version_id: int
    revision: int
    diff: VersionDiff | None
    tasks: tuple[OpenTaskPlan, ...]
    reasons: tuple[str, ...]

    @property
    def allowed(self) -> bool:
        return not self.reasons


@dataclass(frozen=True)
class MigrationPlan:
    """A dry run over several instances towards one version."""

    to_version_id: int
    instances: tuple[InstanceMigration, ...]

    @property
    def allowed(self) -> bool:
        return all(item.allowed for item in self.instances)


def _registry() -> Any:
    return persistence._codec().registry


def _is_node(spec: Any) -> bool:
    """BPMN elements only: Spiff's internal Root/Start/End joins have no bpmn_id."""
    return getattr(spec, "bpmn_id", None) is not None


def _node(spec: Any, fields: tuple[str, ...] = ()) -> NodeChange:
    return NodeChange(spec.bpmn_id, str(spec.bpmn_name or spec.bpmn_id), fields)


def _spec_diff(old: repository.LoadedSpec, new: repository.LoadedSpec) -> SpecDiff:
    return SpecDiff(_registry(), old.spec, new.spec)


def _version_diff(old: repository.LoadedSpec, new: repository.LoadedSpec) -> VersionDiff:
    diff = _spec_diff(old, new)
    return VersionDiff(
        old.version_id,
        new.version_id,
        tuple(_node(s) for s in diff.added if _is_node(s)),
        tuple(_node(s) for s in diff.removed if _is_node(s)),
        tuple(_node(s, tuple(f)) for s, f in diff.changed.items() if _is_node(s)),
    )


def diff_versions(version_a: int, version_b: int) -> VersionDiff:
    """The nodes added, removed and changed from one version to another (admin console)."""
    return _version_diff(repository.load_spec(version_a), repository.load_spec(version_b))


def migrate_in_memory(workflow: BpmnWorkflow, new: repository.LoadedSpec) -> None:
    """Point ``workflow`` at the new specs and re-predict its ready user tasks (no checks)."""
    top, _ = _diffs(workflow, new)
    kept = {t.id: copy.deepcopy(t.data) for t in workflow.get_tasks(state=TaskState.READY)}
    migrate_workflow(top, workflow, new.spec, reset_mask=TaskState.READY)
    workflow.subprocess_specs = new.subprocess_specs
    for task_id, data in kept.items():
        if task_id in workflow.tasks:
            workflow.tasks[task_id].data = data


def _diffs(workflow: BpmnWorkflow, new: repository.LoadedSpec) -> tuple[WorkflowDiff, SpecDiff]:
    spec_diff = SpecDiff(_registry(), workflow.spec, new.spec)
    return WorkflowDiff(workflow, spec_diff), spec_diff


def _task_plan(task: Any, spec_diff: SpecDiff) -> OpenTaskPlan:
    spec, name = task.task_spec, _runtime.task_name(task)
    refusal = _refusal(task, spec_diff)
    if refusal:
        return OpenTaskPlan(spec.bpmn_id, name, False, refusal)
    fields = spec_diff.changed.get(spec)
    if fields:
        return OpenTaskPlan(spec.bpmn_id, name, True, f"保留，按新定义更新（{'、'.join(fields)}）")
    return OpenTaskPlan(spec.bpmn_id, name, True, "保留，不受影响")


def _refusal(task: Any, spec_diff: SpecDiff) -> str | None:
    spec = task.task_spec
    if spec in spec_diff.removed:
        return "该环节在新版本中已删除，迁移会丢失正在进行的工作"
    if isinstance(spec, LoopTask) and _some_instances_done(task):
        return "会签已部分完成，迁移会丢失已签意见或要求已签人重签"
    if task.state in (TaskState.STARTED, TaskState.ERROR) and not isinstance(spec, LoopTask):
        return "该环节正在执行或出错，不能迁移"
    lossy = LOSSY_FIELDS.intersection(spec_diff.changed.get(spec, ()))
    if lossy:
        return f"该环节的类型或数据映射已改变（{'、'.join(sorted(lossy))}），迁移会丢失数据"
    return None


def _some_instances_done(task: Any) -> bool:
    return any(child.state == TaskState.COMPLETED for child in task.children)


def _open_tasks(workflow: BpmnWorkflow) -> list[Any]:
    tasks = workflow.get_tasks(state=_OPEN, skip_subprocesses=True)
    return [t for t in tasks if _is_node(t.task_spec)]


def _plan_instance(instance: ProcessInstance, new: repository.LoadedSpec) -> InstanceMigration:
    reasons = _instance_refusals(instance, new)
    if reasons:
        return _refused(instance, new, reasons)
    step = _runtime.load(instance)
    _, spec_diff = _diffs(step.workflow, new)
    planned = [(t, _task_plan(t, spec_diff)) for t in _open_tasks(step.workflow)]
    # A 会签's container task is listed only when it is the reason for a refusal.
    tasks = tuple(p for t, p in planned if not p.allowed or not isinstance(t.task_spec, LoopTask))
    reasons = [f"“{t.name}”：{t.outcome}" for t in tasks if not t.allowed]
    if step.workflow.subprocesses:
        reasons.append("实例中有进行中的子流程，暂不支持迁移")
    return InstanceMigration(
        instance.id,
        instance.title,
        instance.version_id,
        new.version_id,
        instance.revision,
        _version_diff(step.loaded, new),
        tasks,
        tuple(reasons),
    )


def _instance_refusals(instance: ProcessInstance, new: repository.LoadedSpec) -> list[str]:
    if new.key != instance.process_key:
        return [f"目标版本属于流程 {new.key}，与实例的流程 {instance.process_key} 不同"]
    if new.version_id == instance.version_id:
        return ["实例已在目标版本上"]
    if instance.status not in ("running", "suspended"):
        return ["实例已结束，无需迁移"]
    return []


def _refused(
    instance: ProcessInstance, new: repository.LoadedSpec, reasons: list[str]
) -> InstanceMigration:
    return InstanceMigration(
        instance.id,
        instance.title,
        instance.version_id,
        new.version_id,
        instance.revision,
        None,
        (),
        tuple(reasons),
    )


def version_id_for(process_key: str, number: int) -> int:
    """The id of version ``number`` of ``process_key`` (NotFound if it was never deployed)."""
    for version in repository.list_versions(process_key):
        if version.version == number:
            return version.id
    raise NotFound(f"流程 {process_key} 没有第 {number} 版")


def plan_migration(instance_ids: list[int], to_version_id: int) -> MigrationPlan:
    """Dry run: per instance the node diff, the fate of each open task, and whether it may go."""
    new = repository.load_spec(to_version_id)
    items = []
    for instance_id in instance_ids:
        instance = db.session.get(ProcessInstance, instance_id)
        if instance is None:
            raise NotFound("流程实例不存在", instance_id=instance_id)
        items.append(_plan_instance(instance, new))
    return MigrationPlan(to_version_id, tuple(items))


def apply_migration(plan: MigrationPlan, actor_id: int | None) -> list[int]:
    """Migrate every instance of an allowed plan; returns their ids. The caller commits.

    Each instance is locked at the revision it was planned on (Conflict if it moved since) and
    planned again under the lock, so nothing is migrated on a stale verdict.
    """
    refused = [
        f"实例 {i.instance_id}：{'；'.join(i.reasons)}" for i in plan.instances if not i.allowed
    ]
    if refused:
        raise Conflict("迁移被拒绝：" + "；".join(refused))
    new = repository.load_spec(plan.to_version_id)
    for item in plan.instances:
        _apply_one(item, new, actor_id)
    return [item.instance_id for item in plan.instances]


def _apply_one(item: InstanceMigration, new: repository.LoadedSpec, actor_id: int | None) -> None:
    instance = lock_instance(item.instance_id, expected_revision=item.revision)
    again = _plan_instance(instance, new)
    if not again.allowed:
        raise Conflict(f"实例 {instance.id} 迁移被拒绝：{'；'.join(again.reasons)}")
    open_rows = _runtime.open_rows(instance.id)
    with db.session.no_autoflush:
        step = _runtime.load(instance)
        step.log.append(
            "migrated",
            actor_id=actor_id,
            data={"from_version_id": instance.version_id, "to_version_id": new.version_id},
        )
        migrate_in_memory(step.workflow, new)
        instance.version_id, step.loaded = new.version_id, new
        _refresh_rows(step.workflow, open_rows)
        _runtime.finish(step, open_rows)


def _refresh_rows(workflow: BpmnWorkflow, open_rows: list[HumanTask]) -> None:
    """Rows of tasks that stay open take the new node's name and form."""
    for row in open_rows:
        task = workflow.tasks.get(UUID(row.spiff_task_id))
        if task is None or task.state != TaskState.READY:
            continue
        row.name = _runtime.task_name(task)
        row.task_spec = task.task_spec.bpmn_id or task.task_spec.name
        row.form_key = _runtime.properties(task).get("formKey") or None
