"""Deploy validation of timer events: the supported forms pass, the others are refused by name."""

from __future__ import annotations

import pytest

from engine.definitions import validation
from engine.errors import DeployError
from engine.runtime import timers  # noqa: F401  (registers notify.remind)
from tests.engine.timers.conftest import BPMN_DIR

START = """<bpmn:startEvent id="begin" name="定时开始">
  <bpmn:outgoing>f1</bpmn:outgoing>
  <bpmn:timerEventDefinition><bpmn:{kind}>{value}</bpmn:{kind}></bpmn:timerEventDefinition>
</bpmn:startEvent>"""
BOUNDARY = """<bpmn:startEvent id="begin" name="开始"><bpmn:outgoing>f1</bpmn:outgoing>
</bpmn:startEvent>
<bpmn:boundaryEvent id="tick" name="催办计时" attachedToRef="work" cancelActivity="{cancel}">
  <bpmn:outgoing>f3</bpmn:outgoing>
  <bpmn:timerEventDefinition><bpmn:{kind}>{value}</bpmn:{kind}></bpmn:timerEventDefinition>
</bpmn:boundaryEvent>
<bpmn:endEvent id="tick_end" name="催办结束"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>
<bpmn:sequenceFlow id="f3" sourceRef="tick" targetRef="tick_end"/>"""
INTERMEDIATE = """<bpmn:startEvent id="begin" name="开始"><bpmn:outgoing>f0</bpmn:outgoing>
</bpmn:startEvent>
<bpmn:intermediateCatchEvent id="pause" name="等待">
  <bpmn:incoming>f0</bpmn:incoming><bpmn:outgoing>f1</bpmn:outgoing>
  <bpmn:timerEventDefinition><bpmn:{kind}>{value}</bpmn:{kind}></bpmn:timerEventDefinition>
</bpmn:intermediateCatchEvent>
<bpmn:sequenceFlow id="f0" sourceRef="begin" targetRef="pause"/>"""
PROCESS = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  id="d" targetNamespace="http://zhengwu-oa/tests">
<bpmn:process id="timed" name="计时器校验" isExecutable="true">
{events}
<bpmn:userTask id="work" name="办理">
  <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
</bpmn:userTask>
<bpmn:endEvent id="done" name="结束"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
<bpmn:sequenceFlow id="f1" sourceRef="{first}" targetRef="work"/>
<bpmn:sequenceFlow id="f2" sourceRef="work" targetRef="done"/>
</bpmn:process></bpmn:definitions>"""


def process(shape: str, kind: str, value: str, cancel: str = "false") -> dict[str, bytes]:
    events = {"start": START, "boundary": BOUNDARY, "intermediate": INTERMEDIATE}[shape]
    first = "pause" if shape == "intermediate" else "begin"
    text = PROCESS.format(events=events.format(kind=kind, value=value, cancel=cancel), first=first)
    return {"timed.bpmn": text.encode()}


@pytest.mark.parametrize(
    ("shape", "kind", "value", "cancel"),
    [
        ("start", "timeCycle", "'R/2025-03-03T08:00:00+08:00/P1D'", "false"),
        ("start", "timeCycle", "'R3/PT1H'", "false"),
        ("start", "timeDate", "'2025-03-10T08:00:00+08:00'", "false"),
        ("start", "timeDuration", "'PT30M'", "false"),
        ("boundary", "timeCycle", "'R/P1D'", "false"),
        ("boundary", "timeCycle", "urge_cycle", "false"),  # computed: checked when it runs
        ("boundary", "timeDuration", "'P2D'", "true"),
        ("intermediate", "timeDuration", "wait_for", "false"),
    ],
)
def test_supported_timer_forms_deploy(shape, kind, value, cancel) -> None:
    assert validation.validate_files(process(shape, kind, value, cancel)).process_ids == ["timed"]


def test_the_fixture_processes_deploy() -> None:
    for name in ("timers_morning", "timers_hourly", "timers_urge_daily"):
        files = {f"{name}.bpmn": (BPMN_DIR / f"{name}.bpmn").read_bytes()}
        assert validation.validate_files(files).process_ids == [name]


@pytest.mark.parametrize(
    ("shape", "kind", "value", "cancel", "element", "fragment"),
    [
        (
            "boundary",
            "timeCycle",
            "'R/P1D'",
            "true",
            "催办计时（tick）",
            "中断型边界计时器不能循环",
        ),
        (
            "intermediate",
            "timeCycle",
            "'R/PT1H'",
            "false",
            "等待（pause）",
            "中间计时器事件不支持循环",
        ),
        ("start", "timeCycle", "cycle_from_data", "false", "定时开始（begin）", "带引号的固定值"),
        ("start", "timeDate", "'2025-03-10T08:00:00'", "false", "定时开始（begin）", "请写明时区"),
        ("start", "timeCycle", "'R/P0D'", "false", "定时开始（begin）", "不是有效的 timeCycle"),
        ("boundary", "timeCycle", "'PT1H'", "false", "催办计时（tick）", "不是有效的 timeCycle"),
        (
            "boundary",
            "timeDuration",
            "'P2X'",
            "true",
            "催办计时（tick）",
            "不是有效的 timeDuration",
        ),
    ],
)
def test_unsupported_timer_forms_are_refused_naming_the_element(
    shape, kind, value, cancel, element, fragment
) -> None:
    with pytest.raises(DeployError) as caught:
        validation.validate_files(process(shape, kind, value, cancel))
    text = "\n".join(str(m) for m in caught.value.messages)
    assert element in text and fragment in text, text


SECOND_START = """<bpmn:startEvent id="manual" name="手工开始"><bpmn:outgoing>fm</bpmn:outgoing>
</bpmn:startEvent><bpmn:sequenceFlow id="fm" sourceRef="manual" targetRef="work"/>"""
EVENT_SUBPROCESS = """<bpmn:subProcess id="sub" name="定时子流程" triggeredByEvent="true">
  <bpmn:startEvent id="sub_start" name="子流程定时">
    <bpmn:outgoing>s1</bpmn:outgoing>
    <bpmn:timerEventDefinition><bpmn:timeCycle>'R/PT1H'</bpmn:timeCycle></bpmn:timerEventDefinition>
  </bpmn:startEvent>
  <bpmn:endEvent id="sub_end" name="子流程结束"><bpmn:incoming>s1</bpmn:incoming></bpmn:endEvent>
  <bpmn:sequenceFlow id="s1" sourceRef="sub_start" targetRef="sub_end"/>
</bpmn:subProcess>"""


@pytest.mark.parametrize(
    ("shape", "extra", "element", "fragment"),
    [
        ("start", SECOND_START, "定时开始（begin）", "定时启动的流程只能有一个开始事件"),
        ("boundary", EVENT_SUBPROCESS, "子流程定时（sub_start）", "子流程（含事件子流程）中的"),
    ],
)
def test_timer_start_events_only_at_the_top_and_alone(shape, extra, element, fragment) -> None:
    text = process(shape, "timeCycle", "'R/PT1H'")["timed.bpmn"].decode()
    text = text.replace("</bpmn:process>", extra + "</bpmn:process>")
    with pytest.raises(DeployError) as caught:
        validation.validate_files({"timed.bpmn": text.encode()})
    messages = "\n".join(str(m) for m in caught.value.messages)
    assert element in messages and fragment in messages, messages
