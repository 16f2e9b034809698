"""Deploy-time validation: refuse anything the platform cannot run faithfully, saying where.

Order matters: each stage only runs when the previous one passed, because later stages read
what earlier ones guarantee (a parsed tree, a valid schema, resolvable references).

1. safe, well-formed XML (``parsing.parse_xml``) and the BPMN/DMN XSD;
2. checks on the XML itself: engine-specific extensions (Camunda, Zeebe, Activiti, Flowable),
   non-Python expressions, reserved or malformed ids, isExecutable, sequence flows without id,
   dangling message/signal/error/escalation refs, unsupported elements, user-task properties
   (form, assignee rule, due time, priority, title), service tasks against the registry, every
   expression through the sandbox check, call activities and DMN decisions;
3. Spiff's parser builds the specs (crashes become messages);
4. every node and flow of the XML must be present in what the parser built (trap 9).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from engine import assignment, deadlines, forms, sandbox
from engine.definitions import expression_checks, parsing
from engine.definitions.locate import FLOW_NODE_TAGS, NS, elements, local_name, message_at
from engine.definitions.parsing import ParsedFiles, XmlDocument
from engine.errors import DeployError, ValidationMessage
from engine.registry import ServiceRegistry, default_registry

# Namespaces of other engines whose extensions change behaviour we would silently ignore.
FOREIGN_NAMESPACES = {
    "http://camunda.org/schema/1.0/bpmn": "Camunda",
    "http://camunda.org/schema/zeebe/1.0": "Camunda 8 (Zeebe)",
    "http://activiti.org/bpmn": "Activiti",
    "http://flowable.org/bpmn": "Flowable",
    "http://camunda.org/schema/1.0/dmn": "Camunda",
}
# Camunda Modeler writes these on every process; they do not change what runs.
HARMLESS_FOREIGN_ATTRIBUTES = {"historyTimeToLive", "versionTag", "isStartableInTasklist"}
RESERVED_IDS = {"Start", "End"}
PROCESS_KEY = re.compile(r"^[A-Za-z][A-Za-z0-9_\-]{0,99}$")
REF_TARGETS = {
    "messageRef": "message",
    "signalRef": "signal",
    "errorRef": "error",
    "escalationRef": "escalation",
}


@dataclass
class ValidatedFiles:
    """Files that passed every check, with what the parser built from them."""

    documents: list[XmlDocument]
    process_ids: list[str]
    process_names: dict[str, str]
    parsed: ParsedFiles
    decision_ids: set[str] = field(default_factory=set)


def validate_files(
    files: dict[str, bytes], *, registry: ServiceRegistry | None = None
) -> ValidatedFiles:
    """Run every check; raise ``DeployError`` listing all problems of the first failing stage."""
    documents = _parse_all(files)
    _raise_if(_problems(documents, registry or default_registry))
    executable = [pid for pid, _ in _executable_processes(documents)]
    parsed = parsing.build_specs(documents, executable)
    _raise_if(parsed.messages)
    _raise_if(_completeness(documents, parsed))
    names = {pid: name for pid, name in _executable_processes(documents)}
    return ValidatedFiles(documents, executable, names, parsed, _decision_ids(documents))


def _raise_if(messages: list[ValidationMessage]) -> None:
    if messages:
        raise DeployError(messages)


def _parse_all(files: dict[str, bytes]) -> list[XmlDocument]:
    if not files:
        raise DeployError([ValidationMessage("", None, None, "没有提供任何文件")])
    results = [parsing.parse_xml(name, content) for name, content in sorted(files.items())]
    _raise_if([r for r in results if isinstance(r, ValidationMessage)])
    documents = [r for r in results if isinstance(r, XmlDocument)]
    _raise_if([m for d in documents if (m := parsing.check_schema(d)) is not None])
    return documents


def _problems(documents: list[XmlDocument], registry: ServiceRegistry) -> list[ValidationMessage]:
    index = _Index(documents)
    messages: list[ValidationMessage] = []
    for document in documents:
        checks = _DMN_CHECKS if document.is_dmn else _BPMN_CHECKS
        for check in checks:
            messages.extend(check(document, index, registry))
    if not messages and not any(True for _ in _executable_processes(documents)):
        messages.append(
            ValidationMessage(
                "", None, None, '没有可执行的流程：请把流程的 isExecutable 设为 "true"'
            )
        )
    return messages


class _Index:
    """Ids defined across all files of one deploy (references may cross files)."""

    def __init__(self, documents: list[XmlDocument]) -> None:
        bpmn = [d for d in documents if not d.is_dmn]
        self.definitions = {
            kind: {e.get("id") for d in bpmn for e in d.root.iterfind(f"bpmn:{kind}", NS)}
            for kind in REF_TARGETS.values()
        }
        self.processes = {e.get("id") for d in bpmn for e in d.root.iterfind("bpmn:process", NS)}
        self.executable = {pid for pid, _ in _executable_processes(documents)}
        self.decisions = _decision_ids(documents)
        self.supported = parsing.supported_tags()


def _decision_ids(documents: list[XmlDocument]) -> set[str]:
    return {
        e.get("id")
        for d in documents
        if d.is_dmn
        for e in d.root
        if etree.QName(e).localname == "decision"
    }


def _executable_processes(documents: list[XmlDocument]) -> Iterator[tuple[str, str]]:
    for document in documents:
        if document.is_dmn:
            continue
        for process in document.root.iterfind("bpmn:process", NS):
            if process.get("isExecutable") == "true":
                yield process.get("id"), process.get("name") or process.get("id")


# ---------------------------------------------------------------------------- BPMN checks


def _check_foreign(document: XmlDocument, *_: Any) -> Iterator[ValidationMessage]:
    if not any(ns.encode() in document.content for ns in FOREIGN_NAMESPACES):
        return  # a namespace never written in the file cannot be used in it
    for element in document.root.iter():
        if not isinstance(element.tag, str):
            continue
        engine = FOREIGN_NAMESPACES.get(etree.QName(element).namespace or "")
        if engine:
            yield message_at(
                document,
                element,
                f"使用了 {engine} 专有扩展 {local_name(element)}，本平台无法按原意执行；"
                "请改用 spiffworkflow 扩展（见《流程编写指南》）",
            )
            continue
        for attribute in element.attrib:
            qname = etree.QName(attribute)
            engine = FOREIGN_NAMESPACES.get(qname.namespace or "")
            if engine and qname.localname not in HARMLESS_FOREIGN_ATTRIBUTES:
                yield message_at(
                    document,
                    element,
                    f"使用了 {engine} 专有属性 {qname.localname}，本平台不支持"
                    + _foreign_hint(qname.localname),
                )


def _foreign_hint(attribute: str) -> str:
    hints = {
        "assignee": '；办理人请用 spiffworkflow:property name="assignee"',
        "candidateUsers": "；候选人请用 assignee 规则 role:角色代码",
        "candidateGroups": "；候选人请用 assignee 规则 role:角色代码",
        "formKey": '；表单请用 spiffworkflow:property name="formKey"',
        "class": "；请改用已注册服务的服务任务",
        "delegateExpression": "；请改用已注册服务的服务任务",
        "expression": "；请改用已注册服务的服务任务",
    }
    return hints.get(attribute, "")


def _check_processes(document: XmlDocument, *_: Any) -> Iterator[ValidationMessage]:
    for process in elements(document, "bpmn:process"):
        flag = process.get("isExecutable")
        if flag is None:
            yield message_at(
                document, process, '未设置 isExecutable：可执行流程请设为 "true"，否则设为 "false"'
            )
        elif flag == "true" and not PROCESS_KEY.match(process.get("id") or ""):
            yield message_at(
                document, process, "流程 id 只能使用字母、数字、下划线和连字符，并以字母开头"
            )


def _check_ids(document: XmlDocument, *_: Any) -> Iterator[ValidationMessage]:
    for process in elements(document, "bpmn:process"):
        for element in process.iter(f"{{{parsing.BPMN_NS}}}*"):
            element_id = element.get("id")
            if element_id in RESERVED_IDS:
                yield message_at(
                    document, element, f"id “{element_id}”是引擎保留名称，请改用其他 id"
                )
            elif element_id and "." in element_id:
                yield message_at(document, element, "id 中不能包含点号（引擎内部名称使用点号）")


def _check_flows(document: XmlDocument, *_: Any) -> Iterator[ValidationMessage]:
    names = {e.get("id"): e.get("name") or e.get("id") for e in document.root.iter() if e.get("id")}
    for flow in elements(document, ".//bpmn:sequenceFlow"):
        if not flow.get("id"):
            source = names.get(flow.get("sourceRef"), flow.get("sourceRef"))
            target = names.get(flow.get("targetRef"), flow.get("targetRef"))
            yield message_at(
                document,
                flow.getparent(),
                f"从“{source}”到“{target}”的连线缺少 id，引擎会丢弃它并截断流程，请补上 id",
            )


def _check_refs(document: XmlDocument, index: _Index, *_: Any) -> Iterator[ValidationMessage]:
    for element in document.root.iter():
        if not isinstance(element.tag, str):
            continue
        for attribute, kind in REF_TARGETS.items():
            ref = element.get(attribute)
            if ref is not None and ref.split(":")[-1] not in index.definitions[kind]:
                yield message_at(document, element, f"引用的 {kind}“{ref}”未定义")
        if local_name(element) == "callActivity":
            yield from _call_problems(document, element, index)
        if local_name(element) == "businessRuleTask":
            yield from _decision_problems(document, element, index)


def _decision_problems(
    document: XmlDocument, task: Any, index: _Index
) -> Iterator[ValidationMessage]:
    called = task.find("bpmn:extensionElements/spiffworkflow:calledDecisionId", NS)
    decision = (called.text or "").strip() if called is not None else ""
    if not decision:
        yield message_at(
            document, task, "业务规则任务必须用 spiffworkflow:calledDecisionId 指定 DMN 决策"
        )
    elif decision not in index.decisions:
        yield message_at(
            document, task, f"引用的 DMN 决策“{decision}”不存在（请把 DMN 文件一起部署）"
        )


def _call_problems(
    document: XmlDocument, element: Any, index: _Index
) -> Iterator[ValidationMessage]:
    called = element.get("calledElement")
    if not called or called not in index.processes:
        yield message_at(document, element, f"调用的流程“{called}”不存在（请与本流程一起部署）")
    elif called not in index.executable:
        yield message_at(document, element, f'被调用的流程“{called}”必须设置 isExecutable="true"')


def _check_supported(document: XmlDocument, index: _Index, *_: Any) -> Iterator[ValidationMessage]:
    for element in document.root.iter():
        local = local_name(element)
        in_bpmn = isinstance(element.tag, str) and etree.QName(element).namespace == parsing.BPMN_NS
        if in_bpmn and local in FLOW_NODE_TAGS and local not in index.supported:
            yield message_at(document, element, f"平台不支持 {local} 元素")


# ---------------------------------------------------------------------------- tasks


def _properties(element: Any) -> dict[str, str]:
    path = "bpmn:extensionElements/spiffworkflow:properties/spiffworkflow:property"
    return {p.get("name"): p.get("value", "") for p in element.iterfind(path, NS)}


def _check_human_tasks(
    document: XmlDocument, index: _Index, *_: Any
) -> Iterator[ValidationMessage]:
    tasks = elements(document, ".//bpmn:userTask") + elements(document, ".//bpmn:manualTask")
    for task in tasks:
        for problem in _property_problems(_properties(task), index):
            yield message_at(document, task, problem)


def _due_problem(due: str) -> str | None:
    if deadlines.is_literal(due):
        return deadlines.literal_problem(due)
    problem = sandbox.check_expression(due)
    if problem is None:
        return None
    return f"dueIn“{due}”不是 ISO-8601 时长（如 P3D、PT4H），也不是有效的表达式：{problem}"


def _property_problems(props: dict[str, str], index: _Index) -> Iterator[str]:
    form_key = props.get("formKey")
    if form_key:
        problem = forms.check_form(form_key)
        if problem:
            yield problem
    try:
        rule = assignment.parse_rule(props.get("assignee"))
    except ValueError as exc:
        yield str(exc)
    else:
        if rule.kind == "dmn" and rule.arg not in index.decisions:
            yield f"办理人规则引用的 DMN 决策“{rule.arg}”不存在"
    due = props.get("dueIn")
    if due:
        problem = _due_problem(due)
        if problem:
            yield problem
    if props.get("priority") and not props["priority"].lstrip("-").isdigit():
        yield f"priority“{props['priority']}”应为整数"
    if props.get("title"):
        problem = sandbox.check_expression(props["title"])
        if problem:
            yield f"标题表达式 title 无效：{problem}"


def _check_service_tasks(
    document: XmlDocument, _index: _Index, registry: ServiceRegistry
) -> Iterator[ValidationMessage]:
    for task in elements(document, ".//bpmn:serviceTask"):
        operator = task.find("bpmn:extensionElements/spiffworkflow:serviceTaskOperator", NS)
        if operator is None:
            yield message_at(
                document, task, "服务任务必须用 spiffworkflow:serviceTaskOperator 指定已注册的服务"
            )
            continue
        params = operator.findall(".//spiffworkflow:parameter", NS)
        for param in params:
            if not (param.get("id") and param.get("type") and "value" in param.attrib):
                yield message_at(document, task, "服务参数必须有 id、type 和 value 三个属性")
        for problem in registry.check_call(operator.get("id") or "", {p.get("id") for p in params}):
            yield message_at(document, task, problem)


_BPMN_CHECKS = (
    _check_foreign,
    _check_processes,
    _check_ids,
    _check_flows,
    _check_refs,
    _check_supported,
    _check_human_tasks,
    _check_service_tasks,
    expression_checks.check_expressions,
    expression_checks.check_timers,
)
_DMN_CHECKS = (_check_foreign, expression_checks.check_dmn)


# ---------------------------------------------------------------------------- completeness


def _completeness(documents: list[XmlDocument], parsed: ParsedFiles) -> list[ValidationMessage]:
    specs = list(parsed.specs.values())
    specs += [s for subs in parsed.subprocess_specs.values() for s in subs.values() if s]
    built_nodes, built_edges = parsing.spec_graph(specs)
    used = set(parsed.specs) | {k for subs in parsed.subprocess_specs.values() for k in subs}
    messages: list[ValidationMessage] = []
    for document in documents:
        for process in elements(document, "bpmn:process"):
            if process.get("id") in used:
                messages += _missing_in_spec(document, process, built_nodes, built_edges)
    return messages


def _missing_in_spec(
    document: XmlDocument, process: Any, nodes: set[str], edges: set[tuple[str, str]]
) -> Iterator[ValidationMessage]:
    for element in process.iter():
        local = local_name(element)
        if local in FLOW_NODE_TAGS and element.get("id") not in nodes:
            yield message_at(
                document,
                element,
                "该元素没有连接到流程中（孤立节点），引擎无法执行它；请连线或删除",
            )
        elif local == "sequenceFlow":
            edge = (element.get("sourceRef"), element.get("targetRef"))
            if edge[0] in nodes and edge[1] in nodes and edge not in edges:
                yield message_at(document, element, "该连线未被引擎识别，流程会被截断；请检查连线")
