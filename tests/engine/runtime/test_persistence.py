"""Instance state: no embedded spec, UTF-8, a versioned format, bounded by compaction."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.util.task import TaskState

from engine.runtime import persistence
from engine.sandbox import make_script_engine

BPMN = Path(__file__).parent / "bpmn" / "runtime_approval.bpmn"


@pytest.fixture(scope="module")
def specs():
    parser = SpiffBpmnParser()
    parser.add_bpmn_file(str(BPMN))
    return parser.get_spec("runtime_approval"), parser.get_subprocess_specs("runtime_approval")


def new_workflow(specs) -> BpmnWorkflow:
    spec, subprocess_specs = specs
    workflow = BpmnWorkflow(spec, subprocess_specs, script_engine=make_script_engine())
    workflow.get_tasks(state=TaskState.READY)[0].data.update(subject="关于春节值班的通知")
    workflow.do_engine_steps()
    return workflow


def load(specs, text: str, state_format: int = persistence.STATE_FORMAT) -> BpmnWorkflow:
    spec, subprocess_specs = specs
    return persistence.load_state(
        text,
        state_format,
        spec=spec,
        subprocess_specs=subprocess_specs,
        script_engine=make_script_engine(),
    )


def run_user_task(specs, text: str, name: str, data: dict) -> tuple[str, BpmnWorkflow]:
    workflow = load(specs, text)
    (task,) = workflow.get_tasks(state=TaskState.READY, manual=True)
    assert task.task_spec.name == name
    task.data.update(data)
    task.run()
    workflow.do_engine_steps()
    return persistence.dump_state(workflow), workflow


def test_state_has_no_spec_and_keeps_chinese_as_utf8(specs) -> None:
    text = persistence.dump_state(new_workflow(specs))
    stored = json.loads(text)
    assert "spec" not in stored
    assert "subprocess_specs" not in stored
    assert "关于春节值班的通知" in text
    assert "\\u" not in text


def test_round_trip_keeps_the_waiting_task_and_sets_the_script_engine(specs) -> None:
    workflow = new_workflow(specs)
    (before,) = workflow.get_tasks(state=TaskState.READY, manual=True)
    restored = load(specs, persistence.dump_state(workflow))
    (after,) = restored.get_tasks(state=TaskState.READY, manual=True)
    assert (after.id, after.task_spec.name) == (before.id, "draft")
    assert after.data["subject"] == "关于春节值班的通知"
    # Trap 2: a fresh script engine (our sandbox) is attached on load.
    assert type(restored.script_engine).__name__ == "SandboxScriptEngine"


def test_format_1_stock_spiff_json_upgrades_on_load(specs) -> None:
    workflow = new_workflow(specs)
    stock = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))
    old_text = stock.serialize_json(workflow)
    assert "spec" in json.loads(old_text)  # what a format-1 row holds

    restored = load(specs, old_text, state_format=1)
    (task,) = restored.get_tasks(state=TaskState.READY, manual=True)
    task.data.update(reviewer="li")
    task.run()
    restored.do_engine_steps()
    (review,) = restored.get_tasks(state=TaskState.READY, manual=True)
    assert review.task_spec.name == "review"
    assert "spec" not in json.loads(persistence.dump_state(restored))


@pytest.mark.parametrize("state_format", [0, persistence.STATE_FORMAT + 1])
def test_unknown_state_format_is_refused(specs, state_format: int) -> None:
    text = persistence.dump_state(new_workflow(specs))
    with pytest.raises(ValueError, match="状态格式"):
        load(specs, text, state_format=state_format)


def loop(specs, times: int) -> list[tuple[int, int]]:
    """Go round the 退回 loop; (task count, state bytes) after each round."""
    text = persistence.dump_state(new_workflow(specs))
    sizes = []
    for _ in range(times):
        text, _wf = run_user_task(specs, text, "draft", {"reviewer": "li", "body": "正文"})
        text, workflow = run_user_task(specs, text, "review", {"approved": False})
        sizes.append((len(workflow.tasks), len(text.encode("utf-8"))))
    return sizes


def test_reject_loops_do_not_grow_the_state(specs) -> None:
    sizes = loop(specs, 60)
    first_tasks, first_bytes = sizes[0]
    last_tasks, last_bytes = sizes[-1]
    assert last_tasks == first_tasks
    assert last_bytes <= first_bytes + 100


def test_compaction_keeps_the_process_runnable_to_the_end(specs) -> None:
    text = persistence.dump_state(new_workflow(specs))
    for _ in range(3):
        text, _wf = run_user_task(specs, text, "draft", {"reviewer": "li"})
        text, _wf = run_user_task(specs, text, "review", {"approved": False})
    text, _wf = run_user_task(specs, text, "draft", {"reviewer": "li"})
    text, workflow = run_user_task(specs, text, "review", {"approved": True})
    assert workflow.is_completed()
    assert workflow.last_task.data["registered"] == "已登记：关于春节值班的通知"


def test_without_compaction_the_state_grows(specs) -> None:
    # Guards the test above: the same loop without compaction grows every round.
    workflow = new_workflow(specs)
    sizes = []
    for _ in range(5):
        for name, data in (("draft", {"reviewer": "li"}), ("review", {"approved": False})):
            (task,) = workflow.get_tasks(state=TaskState.READY, manual=True)
            assert task.task_spec.name == name
            task.data.update(data)
            task.run()
            workflow.do_engine_steps()
        sizes.append(len(persistence.dump_state(workflow, compact=False)))
    assert all(later > earlier + 500 for earlier, later in itertools.pairwise(sizes))


REMINDER_BPMN = Path(__file__).parent / "bpmn" / "runtime_reminder_loop.bpmn"


@pytest.fixture(scope="module")
def reminder_specs():
    parser = SpiffBpmnParser()
    parser.add_bpmn_file(str(REMINDER_BPMN))
    key = "runtime_reminder_loop"
    return parser.get_spec(key), parser.get_subprocess_specs(key)


def fire_reminder(specs, text: str, compact: bool) -> str:
    """Make the non-interrupting 催办 timer on 审核 due, as the scheduler will."""
    workflow = load(specs, text)
    (timer,) = workflow.get_tasks(state=TaskState.WAITING, spec_name="remind")
    timer.internal_data["event_value"] = "2000-01-01T00:00:00+00:00"
    workflow.refresh_timers()
    workflow.do_engine_steps()
    return persistence.dump_state(workflow, compact=compact)


def reminder_run(specs, loops: int, compact: bool) -> tuple[list[int], BpmnWorkflow]:
    workflow = BpmnWorkflow(specs[0], specs[1], script_engine=make_script_engine())
    workflow.do_engine_steps()
    text, counts = persistence.dump_state(workflow, compact=compact), []
    steps = [("draft", {}), ("sign", {}), ("review", {"ok": False})]
    for n in range(1, loops + 2):
        if n > loops:
            steps[-1] = ("review", {"ok": True})
        for name, data in steps:
            if name == "review" and n == 2:
                text = fire_reminder(specs, text, compact)
            workflow = load(specs, text)
            (task,) = workflow.get_tasks(state=TaskState.READY, manual=True)
            assert task.task_spec.name == name
            task.data.update(data, n=n)
            task.run()
            workflow.do_engine_steps()
            text = persistence.dump_state(workflow, compact=compact)
        counts.append(
            len(workflow.tasks) + sum(len(sp.tasks) for sp in workflow.subprocesses.values())
        )
    return counts, workflow


def test_compaction_with_a_fired_reminder_and_a_call_activity(reminder_specs) -> None:
    # After the 催办 side path fires it waits at the process end; loops must still not grow.
    counts, workflow = reminder_run(reminder_specs, 40, compact=True)
    assert max(counts[5:-1]) == min(counts[5:-1])
    assert workflow.is_completed()
    assert workflow.last_task.data == {"ok": True, "n": 41, "urged": True}

    plain_counts, plain = reminder_run(reminder_specs, 40, compact=False)
    assert plain.last_task.data == workflow.last_task.data
    assert plain_counts[-2] > 3 * counts[-2]


def test_parallel_countersign_survives_300_reject_loops() -> None:
    # Spiff alone raises RecursionError near 245 loops of this process (trap 7).
    parser = SpiffBpmnParser()
    parser.add_bpmn_file(str(Path(__file__).parent / "bpmn" / "runtime_countersign_loop.bpmn"))
    specs = (
        parser.get_spec("runtime_countersign_loop"),
        parser.get_subprocess_specs("runtime_countersign_loop"),
    )
    workflow = BpmnWorkflow(specs[0], specs[1], script_engine=make_script_engine())
    workflow.do_engine_steps()
    text, counts = persistence.dump_state(workflow), set()
    for _ in range(300):
        for name in ("draft", "sign_a", "sign_b"):
            workflow = load(specs, text)
            ready = workflow.get_tasks(state=TaskState.READY, manual=True)
            (task,) = [t for t in ready if t.task_spec.name == name]
            task.data["ok"] = False
            task.run()
            workflow.do_engine_steps()
            text = persistence.dump_state(workflow)
        counts.add(len(workflow.tasks))
    assert len(counts) == 1
    assert [t.task_spec.name for t in workflow.get_tasks(state=TaskState.READY)] == ["draft"]
