"""BPMN text of small generated processes: start → one step → a user task "after" → end.

Tests and benches that need a process differing in one element (a timer, a 会签) write only
that element; the rest of the document is the same everywhere.
"""

from __future__ import annotations

OMG_BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF = "http://spiffworkflow.org/bpmn/schema/1.0/core"


def one_step_process(
    key: str,
    name: str,
    step: tuple[str, str],
    *,
    after_name: str,
    spiff_namespace: bool = False,
    target_namespace: str = "http://zhengwu-oa/tests",
) -> str:
    """Process ``key`` running 开始 → ``step`` → user task ``after`` → 结束.

    ``step`` is (element id, element XML); the element takes flow ``f1`` in and ``f2`` out.
    """
    step_id, step_xml = step
    spiff = f'\n    xmlns:spiffworkflow="{SPIFF}"' if spiff_namespace else ""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="{OMG_BPMN}"{spiff}
    id="Definitions_{key}" targetNamespace="{target_namespace}">
  <bpmn:process id="{key}" name="{name}" isExecutable="true">
    <bpmn:startEvent id="start" name="开始"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    {step_xml}
    <bpmn:userTask id="after" name="{after_name}">
      <bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:endEvent id="finish" name="结束"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="{step_id}"/>
    <bpmn:sequenceFlow id="f2" sourceRef="{step_id}" targetRef="after"/>
    <bpmn:sequenceFlow id="f3" sourceRef="after" targetRef="finish"/>
  </bpmn:process>
</bpmn:definitions>
"""
