"""Deploy-time validation: each rule has a BPMN/DMN file under bpmn/ that breaks it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine import forms
from engine.definitions import parsing, validation
from engine.errors import DeployError, ValidationMessage
from tests.engine.definitions.conftest import fixture_files, qingjia_files


def refusal(files: dict[str, bytes]) -> list[ValidationMessage]:
    with pytest.raises(DeployError) as caught:
        validation.validate_files(files)
    assert caught.value.message.startswith("流程部署失败")
    return caught.value.messages


CASES = [
    # (file, element id named in the message, fragment of the Chinese message)
    ("not_well_formed.bpmn", None, "XML 格式错误（第 5 行"),
    ("xxe.bpmn", None, "DOCTYPE 或 ENTITY"),
    ("billion_laughs.bpmn", None, "DOCTYPE 或 ENTITY"),
    ("xsd_invalid.bpmn", None, "不符合 BPMN 2.0 规范（第 5 行"),
    ("flow_without_id.bpmn", "flow_without_id", "从“拟稿”到“核稿”的连线缺少 id"),
    ("orphan_node.bpmn", "lonely", "孤立节点"),
    ("reserved_id.bpmn", "End", "保留名称"),
    ("dotted_id.bpmn", "a.b", "不能包含点号"),
    ("no_executable_flag.bpmn", "no_executable_flag", "未设置 isExecutable"),
    ("camunda_assignee.bpmn", "approve", "Camunda 专有属性 assignee"),
    ("juel_condition.bpmn", "f2", "Camunda/JUEL 表达式"),
    ("bare_timer.bpmn", "wait", "ISO-8601 值请加引号"),
    ("escape_condition.bpmn", "f2", "下划线开头的属性 __subclasses__"),
    ("escape_script.bpmn", "calc", "import"),
    ("javascript_script.bpmn", "calc", "javascript"),
    ("missing_form.bpmn", "fill", "表单 no_such_form 不存在"),
    ("bad_rule.bpmn", "approve", "类型 boss 不存在"),
    ("bad_due.bpmn", "approve", "不是 ISO-8601 时长"),
    ("unknown_service.bpmn", "call", "服务 numbering.nonexistent 未注册"),
    ("service_bad_params.bpmn", "call", "服务 engine.echo 没有参数 msg"),
    ("service_bad_params.bpmn", "call", "服务 engine.echo 缺少参数 message"),
    ("plain_service_task.bpmn", "call", "serviceTaskOperator"),
    ("missing_called.bpmn", "sub", "调用的流程“shouwen_missing”不存在"),
    ("missing_decision.bpmn", "decide", "DMN 决策“no_such_decision”不存在"),
    ("decision_without_ref.bpmn", "decide", "必须用 spiffworkflow:calledDecisionId"),
    ("dmn_rule_missing.bpmn", "approve", "DMN 决策“approver_missing”不存在"),
    ("dangling_message.bpmn", "wait", "message“reply_missing”未定义"),
    ("dangling_error.bpmn", "end", "error“no_such_error”未定义"),
    ("unsupported_element.bpmn", "cg", "不支持 complexGateway"),
    ("first_hit.dmn", "table_approver", "命中策略 FIRST 不受支持"),
    ("feel_cell.dmn", "ie_short", "[1..3]"),
]


@pytest.mark.parametrize(("filename", "element_id", "fragment"), CASES)
def test_bad_file_is_refused_with_file_element_and_reason(
    filename: str, element_id: str | None, fragment: str
) -> None:
    files = fixture_files(filename)
    if filename.endswith(".dmn"):
        files.update(fixture_files("with_decision.bpmn"))
    messages = refusal(files)
    matching = [m for m in messages if fragment in m.message]
    assert matching, [str(m) for m in messages]
    assert matching[0].file == filename
    assert matching[0].element_id == element_id


def test_message_names_the_element_by_its_chinese_name() -> None:
    (message,) = refusal(fixture_files("orphan_node.bpmn"))
    assert message.element_name == "无人连接的审批"
    assert str(message).startswith("orphan_node.bpmn 中的元素 无人连接的审批（lonely）：")


def test_parser_completeness_check_catches_what_xml_checks_miss(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Second line of defence for trap 9: even without the XML check for flow ids, the
    comparison with what Spiff built refuses the truncated process."""
    checks = tuple(c for c in validation._BPMN_CHECKS if c is not validation._check_flows)
    monkeypatch.setattr(validation, "_BPMN_CHECKS", checks)
    messages = refusal(fixture_files("flow_without_id.bpmn"))
    assert {m.element_id for m in messages} == {"review", "end"}
    assert all("孤立节点" in m.message for m in messages)


@pytest.mark.parametrize(
    ("exception", "fragment"),
    [
        (TypeError("'NoneType' object is not subscriptable"), "TypeError"),
        (KeyError("x"), "KeyError"),
    ],
)
def test_parser_crashes_become_messages(
    monkeypatch: pytest.MonkeyPatch, exception: Exception, fragment: str
) -> None:
    def crash(*_args: object) -> None:
        raise exception

    monkeypatch.setattr(parsing, "_build_one", crash)
    (message,) = refusal(qingjia_files())
    assert fragment in message.message and message.file == "qingjia.bpmn"


def test_all_problems_of_a_stage_are_reported_together() -> None:
    files = fixture_files("missing_form.bpmn", "bad_rule.bpmn", "camunda_assignee.bpmn")
    assert {m.file for m in refusal(files)} == set(files)


def test_bpmn_io_file_with_plain_bpmn_and_python_conditions_deploys() -> None:
    validated = validation.validate_files(fixture_files("bpmnio_plain.bpmn"))
    assert validated.process_ids == ["Process_baoxiao"]
    assert validated.process_names["Process_baoxiao"] == "报销审批"


def test_call_activity_and_decision_resolve_across_files() -> None:
    validated = validation.validate_files(fixture_files("with_decision.bpmn", "approver.dmn"))
    assert sorted(validated.process_ids) == ["sub_process", "with_decision"]
    assert "sub_process" in validated.parsed.subprocess_specs["with_decision"]
    assert validated.decision_ids == {"approver"}


def test_qingjia_sample_passes() -> None:
    validated = validation.validate_files(qingjia_files())
    assert validated.process_ids == ["qingjia"]


def test_invalid_form_schema_is_refused(tmp_path: Path) -> None:
    (tmp_path / "no_such_form.json").write_text(
        json.dumps(
            {"title": "坏表单", "schema": {"type": "object", "properties": {"a": {"type": "text"}}}}
        ),
        encoding="utf-8",
    )
    with forms.use_forms_dir(tmp_path):
        (message,) = refusal(fixture_files("missing_form.bpmn"))
    assert "不是合法的 JSON Schema" in message.message and message.element_id == "fill"


def test_empty_deploy_is_refused() -> None:
    (message,) = refusal({})
    assert message.message == "没有提供任何文件"


def test_non_bpmn_xml_is_refused() -> None:
    (message,) = refusal({"note.xml": b"<note><to>x</to></note>"})
    assert "不是 BPMN 2.0 或 DMN 文件" in message.message


def test_boundary_events_multi_instance_and_subprocess_pass_the_completeness_check() -> None:
    """Boundary events are wired through internal split/join specs and embedded subprocesses
    live in their own spec: none of that may look like a missing node or flow."""
    validated = validation.validate_files(fixture_files("rich_valid.bpmn"))
    nodes, edges = parsing.spec_graph(
        [
            validated.parsed.specs["rich_valid"],
            *validated.parsed.subprocess_specs["rich_valid"].values(),
        ]
    )
    assert {"deadline_timer", "remind_timer", "echo_failed", "wait_reply"} <= nodes
    expected = {("deadline_timer", "escalate"), ("countersign", "archive")}
    assert expected | {("archive_start", "wait_reply"), ("remind", "remind_end")} <= edges


def test_non_utf8_file_is_refused() -> None:
    gbk = '<?xml version="1.0" encoding="GBK"?><bpmn:definitions/>'.encode("gbk")
    (message,) = refusal({"gbk.bpmn": gbk.replace(b"/>", "请假".encode("gbk") + b"/>")})
    assert message.message == "文件必须使用 UTF-8 编码"
