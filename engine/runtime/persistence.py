"""Instance state <-> Spiff workflow: compact UTF-8 JSON without the embedded spec.

SpiffWorkflow's serializer writes the whole parsed spec into every instance (trap 6) and escapes
Chinese as ``\\uXXXX``. We store the spec once per process version (``ProcessVersion.spec_json``,
loaded through ``repository.load_spec``) and write only the task tree and data here, as UTF-8.

The stored text carries our own ``state_format`` number (a column of the instance row). Loading
an older format runs the upgrade functions of ``UPGRADES`` in order, so rows written by earlier
releases keep working. Format history:

1. Spiff's stock ``serialize_json`` output (spec embedded, ASCII escapes).
2. Spiff's dict without ``spec``/``subprocess_specs``, dumped as compact UTF-8.

Spiff's own serializer version is written too (``serializer_version``); a SpiffWorkflow upgrade
that changes it needs a new ``state_format`` whose upgrade runs Spiff's migrations.

The script engine is not part of the state (trap 2): it is attached again on every load.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter
from SpiffWorkflow.bpmn.serializer.helpers.encoder import create_encoder
from SpiffWorkflow.bpmn.serializer.workflow import VERSION as SPIFF_SERIALIZER_VERSION

# The end join of a process is a private class of Spiff; compaction must recognise it.
from SpiffWorkflow.bpmn.specs.control import _EndJoin
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.util.task import TaskState

STATE_FORMAT = 2
SPIFF_VERSION_KEY = "serializer_version"


class SpecFreeWorkflowConverter(BpmnWorkflowConverter):
    """Spiff's top-level converter, minus the specs: they come from the process version."""

    def to_dict(self, workflow: BpmnWorkflow) -> dict[str, Any]:
        """Tasks, data and subprocesses; skips Spiff's own ``to_dict``, which adds the specs."""
        dct: dict[str, Any] = super(BpmnWorkflowConverter, self).to_dict(workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def restore(self, dct: dict[str, Any], spec: Any, subprocess_specs: dict[str, Any]) -> Any:
        """Rebuild the workflow around the given (shared, immutable) specs."""
        workflow = self.target_class(spec, subprocess_specs, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


class _Codec:
    """One registry per thread: Spiff's registry toggles a flag while encoding."""

    def __init__(self) -> None:
        config = {cls: conv for cls, conv in SPIFF_CONFIG.items() if cls is not BpmnWorkflow}
        self.registry = BpmnWorkflowSerializer.configure(config)
        # Registering under Spiff's typename keeps subprocess and task converters unchanged.
        self.converter = SpecFreeWorkflowConverter(BpmnWorkflow, self.registry)
        self.encoder = create_encoder(self.registry)


_local = threading.local()


def _codec() -> _Codec:
    codec = getattr(_local, "codec", None)
    if codec is None:
        codec = _local.codec = _Codec()
    return codec


def dump_state(workflow: BpmnWorkflow, *, compact: bool = True) -> str:
    """Serialize ``workflow`` in the current format; compaction first bounds the task tree."""
    if compact:
        compact_workflow(workflow)
    codec = _codec()
    # Spiff's fast path (as in its serialize_json): leave task data to the JSON encoder.
    codec.registry._encoder_mode = True
    try:
        dct = codec.converter.to_dict(workflow)
        dct[SPIFF_VERSION_KEY] = SPIFF_SERIALIZER_VERSION
        return json.dumps(dct, cls=codec.encoder, ensure_ascii=False, separators=(",", ":"))
    finally:
        codec.registry._encoder_mode = False


def load_state(
    text: str,
    state_format: int,
    *,
    spec: Any,
    subprocess_specs: dict[str, Any],
    script_engine: Any,
) -> BpmnWorkflow:
    """Rebuild a workflow from stored text of any known format, with the script engine set."""
    dct = upgrade(json.loads(text), state_format)
    dct.pop(SPIFF_VERSION_KEY, None)
    workflow = _codec().converter.restore(dct, spec, subprocess_specs)
    # Trap 2: the script engine is not serialized; without it service tasks fail.
    workflow.script_engine = script_engine
    return workflow


def compact_workflow(workflow: BpmnWorkflow) -> int:
    """Prune finished history from the task tree(s); returns the number of tasks removed.

    Each loop through a 退回 path hangs new tasks below the old ones, so the tree deepens without
    bound (trap 7). At a wait state we keep the root, the start task and the subtree under the
    nearest common ancestor of every unfinished task, and splice that subtree under the start
    task. The full history lives in our event log, not in the engine state.
    """
    removed = _compact_tree(workflow)
    for subprocess in list(workflow.subprocesses.values()):
        removed += _compact_tree(subprocess)
    _drop_orphan_subprocesses(workflow)
    return removed


def _compact_tree(workflow: Any) -> int:
    root = workflow.task_tree
    if root is None or not root.children:
        return 0
    start = root.children[0]
    unfinished = [t for t in workflow.tasks.values() if t.has_state(TaskState.NOT_FINISHED_MASK)]
    parked = _parked_end_joins(unfinished)
    parked_ids = {task_id for task in parked for task_id in _subtree_ids(task)}
    active = [t for t in unfinished if t.id not in parked_ids]
    keep_below = _keep_point(active, start) if active else None
    if keep_below is None:
        return 0
    branches = [keep_below] + [
        task.parent for task in parked if keep_below not in _ancestors(task) and task.parent
    ]
    if len(branches) == 1 and keep_below.parent is start:
        return 0
    return _splice(workflow, root, start, branches)


def _parked_end_joins(unfinished: list[Any]) -> list[Any]:
    """Side paths (e.g. after a non-interrupting 催办 timer) that finished and now wait at the
    process end. They would pin the common ancestor for ever, so they are kept as short branches
    of their own: the waiting end join and the task before it (whose data the join merges)."""
    return [
        task
        for task in unfinished
        if isinstance(task.task_spec, _EndJoin) and task.state == TaskState.WAITING
    ]


def _splice(workflow: Any, root: Any, start: Any, branches: list[Any]) -> int:
    kept = {root.id, start.id}
    for branch in branches:
        kept.update(_subtree_ids(branch))
    removed = [task_id for task_id in workflow.tasks if task_id not in kept]
    for task_id in removed:
        del workflow.tasks[task_id]
    start._children = [branch.id for branch in branches]
    for branch in branches:
        branch._parent = start.id
    return len(removed)


def _subtree_ids(task: Any) -> list[UUID]:
    """Ids of ``task`` and all its descendants (iterative: no depth limit)."""
    found, stack = [], [task.id]
    while stack:
        task_id = stack.pop()
        found.append(task_id)
        stack.extend(task.workflow.tasks[task_id]._children)
    return found


def _keep_point(unfinished: list[Any], start: Any) -> Any:
    """The task whose subtree must be kept, or None when it is the start task or above."""
    paths = [_ancestors(task) for task in unfinished]
    common = None
    for level in zip(*paths, strict=False):
        if any(task is not level[0] for task in level):
            break
        common = level[0]
    if common is None:
        return None
    common = _include_structured_splits(common, unfinished)
    ancestors = _ancestors(common)
    if start not in ancestors or common is start:
        return None
    return common


def _ancestors(task: Any) -> list[Any]:
    """Root first, ``task`` last (iterative: the tree may be deep before the first compaction)."""
    chain = []
    while task is not None:
        chain.append(task)
        task = task.parent
    chain.reverse()
    return chain


def _include_structured_splits(common: Any, unfinished: list[Any]) -> Any:
    """Boundary-event and start-event joins look up their split as an ancestor: keep it."""
    needed = {
        split for t in unfinished if (split := getattr(t.task_spec, "split_task", None)) is not None
    }
    keep = common
    task = common
    while task is not None and needed:
        if task.task_spec.name in needed:
            needed.discard(task.task_spec.name)
            keep = task
        task = task.parent
    return keep


def _drop_orphan_subprocesses(workflow: BpmnWorkflow) -> None:
    """A subprocess whose calling task was pruned is finished history too."""
    while True:
        orphans = [
            task_id
            for task_id, sp in workflow.subprocesses.items()
            if _owner_missing(workflow, sp.parent_task_id)
        ]
        if not orphans:
            return
        for task_id in orphans:
            del workflow.subprocesses[task_id]


def _owner_missing(workflow: BpmnWorkflow, task_id: UUID) -> bool:
    if task_id in workflow.tasks:
        return False
    return not any(task_id in sp.tasks for sp in workflow.subprocesses.values())


def _from_format_1(dct: dict[str, Any]) -> dict[str, Any]:
    """Stock Spiff JSON: drop the embedded specs (the version row has them)."""
    dct.pop("spec", None)
    dct.pop("subprocess_specs", None)
    return dct


# state_format -> function turning that format into the next one.
UPGRADES: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {
    1: _from_format_1,
}


def upgrade(dct: dict[str, Any], state_format: int) -> dict[str, Any]:
    """Apply the upgrade functions from ``state_format`` up to ``STATE_FORMAT``."""
    if state_format > STATE_FORMAT or state_format < 1:
        raise ValueError(f"未知的流程实例状态格式：{state_format}")
    for number in range(state_format, STATE_FORMAT):
        dct = UPGRADES[number](dct)
    return dct
