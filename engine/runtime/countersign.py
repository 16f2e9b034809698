"""会签 completion rules: what a multi-instance ``completionCondition`` can see.

Spiff evaluates the condition in the data of the signer who just completed, which knows nothing
of the other signers. Before a signer's task runs, ``prepare`` adds the Camunda-style counters and
the results so far, so analysts can write "all" (no condition), "any one rejects" (``approved ==
False``) or "2 of 3" (``sum(1 for r in countersign_results if r) >= 2``):

* ``nrOfInstances``, ``nrOfCompletedInstances`` (this signer included), ``nrOfActiveInstances``
* ``countersign_results``: the output collection with this signer's output item appended.
"""

from __future__ import annotations

import copy
from typing import Any

from SpiffWorkflow.util.task import TaskState


def prepare(task: Any) -> None:
    """Add the 会签 variables to a multi-instance signer's data; other tasks are left alone."""
    parent = task.parent
    spec = getattr(parent, "task_spec", None) if parent is not None else None
    if getattr(spec, "task_spec", None) != task.task_spec.name:
        return
    siblings = [c for c in parent.children if c.task_spec.name == task.task_spec.name]
    done = [c for c in siblings if c.has_state(TaskState.COMPLETED)]
    remaining = parent.internal_data.get("remaining") or []
    task.data["nrOfInstances"] = len(siblings) + len(remaining)
    task.data["nrOfCompletedInstances"] = len(done) + 1
    task.data["nrOfActiveInstances"] = len(siblings) - len(done) - 1
    task.data["countersign_results"] = _results(spec, parent, task)


def _results(spec: Any, parent: Any, task: Any) -> list[Any]:
    if spec.data_output is None or spec.output_item is None:
        return []
    collected = spec.data_output.get(parent) if spec.data_output.exists(parent) else []
    values = list(collected.values()) if isinstance(collected, dict) else list(collected)
    if spec.output_item.exists(task):
        values.append(spec.output_item.get(task))
    return copy.deepcopy(values)
