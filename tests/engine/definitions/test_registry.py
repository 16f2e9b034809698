"""The service-task registry, and service tasks run through the sandboxed script engine."""

from __future__ import annotations

from typing import Any

import pytest
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState

from engine.definitions import parsing
from engine.errors import ServiceTaskError
from engine.registry import ServiceRegistry, default_registry
from engine.sandbox import make_script_engine
from services.errors import Conflict


def reserve(issuer: str, year: int, copies: int = 1) -> dict[str, Any]:
    if issuer == "busy":
        raise Conflict("文号已被占用", code="number_taken")
    if issuer == "boom":
        raise RuntimeError("磁盘已满")
    return {"number": f"{issuer}〔{year}〕1号", "copies": copies}


@pytest.fixture
def registry() -> ServiceRegistry:
    found = ServiceRegistry()
    found.register(
        "numbering.reserve", reserve, {"issuer": str, "year": int, "copies": int}, "预留文号"
    )
    return found


def test_call_passes_typed_params(registry: ServiceRegistry) -> None:
    assert registry.call("numbering.reserve", {"issuer": "江府发", "year": 2025}, {}) == {
        "number": "江府发〔2025〕1号",
        "copies": 1,
    }


@pytest.mark.parametrize(
    ("name", "params", "error_code", "fragment"),
    [
        ("numbering.reserve", {"issuer": "x", "year": "2025"}, "bad_param", "year 应为 int"),
        ("numbering.reserve", {"issuer": "x"}, "bad_call", "缺少参数 year"),
        ("numbering.reserve", {"issuer": "x", "year": 1, "extra": 1}, "bad_call", "没有参数 extra"),
        ("numbering.nope", {}, "bad_call", "未注册"),
        ("numbering.reserve", {"issuer": "busy", "year": 1}, "number_taken", "文号已被占用"),
        ("numbering.reserve", {"issuer": "boom", "year": 1}, "RuntimeError", "磁盘已满"),
    ],
)
def test_failures_become_service_task_errors(
    registry: ServiceRegistry, name: str, params: dict[str, Any], error_code: str, fragment: str
) -> None:
    with pytest.raises(ServiceTaskError, match=fragment) as caught:
        registry.call(name, params, {})
    assert caught.value.error_code == error_code and caught.value.service == name


def test_check_call_reports_optional_and_required(registry: ServiceRegistry) -> None:
    assert registry.check_call("numbering.reserve", {"issuer", "year"}) == []
    assert registry.check_call("numbering.reserve", {"copies"}) == [
        "服务 numbering.reserve 缺少参数 issuer",
        "服务 numbering.reserve 缺少参数 year",
    ]


def test_duplicate_registration_is_refused(registry: ServiceRegistry) -> None:
    with pytest.raises(ValueError, match="已注册"):
        registry.register("numbering.reserve", reserve, {}, "")


def test_context_is_passed_only_when_asked() -> None:
    registry = ServiceRegistry()
    registry.register("ctx.echo", lambda context: context["instance_id"], {}, "", with_context=True)
    assert registry.call("ctx.echo", {}, {"instance_id": 7}) == 7


SERVICE_BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="d" targetNamespace="t">
  <bpmn:process id="svc" name="服务" isExecutable="true">
    <bpmn:startEvent id="start"/>
    <bpmn:serviceTask id="call" name="回显">
      <bpmn:extensionElements>
        <spiffworkflow:serviceTaskOperator id="engine.echo" resultVariable="reply">
          <spiffworkflow:parameters>
            <spiffworkflow:parameter id="message" type="str" value="f'你好，{name}'"/>
            <spiffworkflow:parameter id="fail" type="bool" value="fail"/>
          </spiffworkflow:parameters>
        </spiffworkflow:serviceTaskOperator>
      </bpmn:extensionElements>
    </bpmn:serviceTask>
    <bpmn:endEvent id="end"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="call"/>
    <bpmn:sequenceFlow id="f2" sourceRef="call" targetRef="end"/>
  </bpmn:process>
</bpmn:definitions>
"""


def service_workflow(**data: Any) -> BpmnWorkflow:
    document = parsing.parse_xml("svc.bpmn", SERVICE_BPMN.encode("utf-8"))
    assert isinstance(document, parsing.XmlDocument)
    parsed = parsing.build_specs([document], ["svc"])
    workflow = BpmnWorkflow(parsed.specs["svc"], {}, script_engine=make_script_engine())
    workflow.get_tasks()[0].data.update(data)
    return workflow


def test_service_task_runs_through_the_registry() -> None:
    workflow = service_workflow(name="张三", fail=False)
    workflow.do_engine_steps()
    assert workflow.completed
    assert workflow.last_task.data["reply"] == {"echo": "你好，张三"}


def test_service_error_surfaces_as_service_task_error() -> None:
    """Spiff re-raises what call_service raises: the runtime gets our error, with its code."""
    workflow = service_workflow(name="李四", fail=True)
    with pytest.raises(ServiceTaskError, match=r"服务 engine\.echo 执行失败：你好，李四") as caught:
        workflow.do_engine_steps()
    assert caught.value.service == "engine.echo" and caught.value.error_code == "ValueError"
    (failed,) = workflow.get_tasks(state=TaskState.ERROR)
    assert failed.task_spec.bpmn_id == "call"


def test_default_registry_has_the_echo_service() -> None:
    assert "engine.echo" in default_registry.names()
