"""The only place that runs SpiffWorkflow's BPMN/DMN parser and spec serializer.

XML is parsed here with a hardened lxml parser (no DTD, no entities, no network, no huge
trees) before Spiff sees it; Spiff's own parser then works on our element trees. Parser crashes
(TypeError, KeyError ... on dangling references: trap 10) are caught here and turned into
``ValidationMessage`` objects with file, element id and name.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnValidator
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec
from SpiffWorkflow.dmn.engine.DMNEngine import DMNEngine
from SpiffWorkflow.dmn.parser.BpmnDmnParser import SCHEMAS as DMN_SCHEMAS
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG

from engine.errors import ValidationMessage

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPEC_FORMAT = 1
_DOCTYPE = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)


def _safe_parser() -> etree.XMLParser:
    # A fresh parser per call: lxml parsers are not thread-safe.
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        huge_tree=False,
        load_dtd=False,
        dtd_validation=False,
        remove_pis=True,
    )


@dataclass
class XmlDocument:
    """One uploaded file, parsed safely."""

    filename: str
    root: Any  # lxml element
    is_dmn: bool
    content: bytes = b""


def parse_xml(filename: str, content: bytes) -> XmlDocument | ValidationMessage:
    """Parse a file safely; refuse DOCTYPE/ENTITY outright (XXE, billion laughs)."""
    if _DOCTYPE.search(content):
        return ValidationMessage(
            filename, None, None, "文件包含 DOCTYPE 或 ENTITY 声明，出于安全原因不予接受"
        )
    try:
        content.decode("utf-8")  # stored as text and shown in the modeler: UTF-8 only
    except UnicodeDecodeError:
        return ValidationMessage(filename, None, None, "文件必须使用 UTF-8 编码")
    try:
        root = etree.fromstring(content, parser=_safe_parser())
    except etree.XMLSyntaxError as exc:
        return ValidationMessage(
            filename, None, None, f"XML 格式错误（第 {exc.lineno} 行：{exc.msg}）"
        )
    namespace = etree.QName(root).namespace or ""
    if "/DMN/" in namespace:
        return XmlDocument(filename, root, is_dmn=True, content=content)
    if namespace != BPMN_NS or etree.QName(root).localname != "definitions":
        return ValidationMessage(
            filename, None, None, "不是 BPMN 2.0 或 DMN 文件（根元素不是 definitions）"
        )
    return XmlDocument(filename, root, is_dmn=False, content=content)


_dmn_validators: dict[str, BpmnValidator] = {}


def check_schema(document: XmlDocument) -> ValidationMessage | None:
    """Validate against the BPMN 2.0 XSD (+ Spiff extensions) or the DMN XSD of its version."""
    validator = VALIDATOR
    if document.is_dmn:
        namespace = etree.QName(document.root).namespace or ""
        if namespace not in DMN_SCHEMAS:
            return ValidationMessage(
                document.filename, None, None, f"不支持的 DMN 版本：{namespace}"
            )
        validator = _dmn_validators.setdefault(namespace, BpmnValidator(DMN_SCHEMAS[namespace]))
    # Spiff's validator rewrites some tags in place: validate a copy (from the original bytes,
    # so line numbers match the file).
    copy = etree.fromstring(document.content, parser=_safe_parser())
    try:
        validator.validate(copy, document.filename)
    except ValidationException as exc:
        kind = "DMN" if document.is_dmn else "BPMN 2.0"
        detail = str(exc).split(" Expected is")[0].rstrip(". ")
        return ValidationMessage(
            document.filename,
            None,
            None,
            f"不符合 {kind} 规范（第 {exc.line_number} 行：{detail}）",
        )
    return None


@dataclass
class ParsedFiles:
    """What Spiff built from the documents, plus the problems found while building it."""

    parser: SpiffBpmnParser
    specs: dict[str, BpmnProcessSpec] = field(default_factory=dict)
    subprocess_specs: dict[str, dict[str, BpmnProcessSpec]] = field(default_factory=dict)
    messages: list[ValidationMessage] = field(default_factory=list)


def build_specs(documents: list[XmlDocument], process_ids: list[str]) -> ParsedFiles:
    """Run Spiff's parser over all documents and build the spec of each process in
    ``process_ids`` with its called/embedded subprocesses."""
    parsed = ParsedFiles(SpiffBpmnParser())
    for document in documents:
        _guarded(parsed, document.filename, lambda d=document: _add(parsed.parser, d))
    if parsed.messages:
        return parsed
    for process_id in process_ids:
        filename = _file_of(parsed.parser, process_id)
        _guarded(parsed, filename, lambda p=process_id: _build_one(parsed, p))
    return parsed


def _add(parser: SpiffBpmnParser, document: XmlDocument) -> None:
    if document.is_dmn:
        parser.add_dmn_xml(document.root, filename=document.filename)
    else:
        parser.add_bpmn_xml(document.root, filename=document.filename)


def _build_one(parsed: ParsedFiles, process_id: str) -> None:
    parsed.specs[process_id] = parsed.parser.get_spec(process_id)
    parsed.subprocess_specs[process_id] = parsed.parser.get_subprocess_specs(process_id)


def _file_of(parser: SpiffBpmnParser, process_id: str) -> str:
    process_parser = parser.get_process_parser(process_id)
    return getattr(process_parser, "filename", None) or ""


def _guarded(parsed: ParsedFiles, filename: str, action: Any) -> None:
    try:
        action()
    except ValidationException as exc:
        parsed.messages.append(_from_validation(exc, filename))
    except SpiffWorkflowException as exc:
        parsed.messages.append(ValidationMessage(filename, None, None, f"解析失败：{exc}"))
    except (TypeError, KeyError, AttributeError, ValueError, IndexError) as exc:
        # Spiff crashes like this on dangling references; never let it escape as a 500.
        parsed.messages.append(
            ValidationMessage(
                filename, None, None, f"解析器无法处理此文件：{type(exc).__name__}：{exc}"
            )
        )


_SPIFF_MESSAGES = {
    "A Service Task must have an operator": (
        "服务任务必须用 spiffworkflow:serviceTaskOperator 指定已注册的服务名"
    ),
    "There is no support implemented for this task type.": "平台不支持这种元素",
}


def _from_validation(exc: ValidationException, filename: str) -> ValidationMessage:
    text = str(exc).split("\n")[0]
    message = _SPIFF_MESSAGES.get(text, f"流程解析失败：{text}")
    if getattr(exc, "tag", ""):
        message += f"（元素类型 {exc.tag}）"
    return ValidationMessage(
        getattr(exc, "file_name", "") or filename,
        getattr(exc, "id", "") or None,
        getattr(exc, "name", "") or None,
        message,
    )


# ---------------------------------------------------------------------------- serializing


_serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))


def serialize_specs(spec: BpmnProcessSpec, subprocess_specs: dict[str, BpmnProcessSpec]) -> str:
    """The process spec and its subprocess specs as UTF-8 JSON text (stored once per version)."""
    document = {
        "format": SPEC_FORMAT,
        "spec": _serializer.to_dict(spec),
        "subprocess_specs": {
            key: _serializer.to_dict(sub) for key, sub in subprocess_specs.items()
        },
    }
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def deserialize_specs(text: str) -> tuple[BpmnProcessSpec, dict[str, BpmnProcessSpec]]:
    """Inverse of ``serialize_specs``."""
    document = json.loads(text)
    if document.get("format") != SPEC_FORMAT:
        raise ValueError(f"未知的流程定义存储格式：{document.get('format')}")
    spec = _serializer.from_dict(document["spec"])
    subs = {key: _serializer.from_dict(sub) for key, sub in document["subprocess_specs"].items()}
    return spec, subs


# ---------------------------------------------------------------------------- decisions


def load_decisions(files: dict[str, str]) -> dict[str, DMNEngine]:
    """DMN decisions of a version by id (re-parsed from the stored files: cheap and rare)."""
    parser = SpiffBpmnParser()
    for filename, text in files.items():
        document = parse_xml(filename, text.encode("utf-8"))
        if isinstance(document, XmlDocument) and document.is_dmn:
            parser.add_dmn_xml(document.root, filename=filename)
    return {decision_id: parser.get_engine(decision_id, None) for decision_id in parser.dmn_parsers}


def decision_ids(parser: SpiffBpmnParser) -> set[str]:
    """Ids of the DMN decisions the parser has seen."""
    return set(parser.dmn_parsers)


class _DecisionTask:
    """The little of a Spiff task that DMNEngine reads: data and the script engine."""

    def __init__(self, data: dict[str, Any], script_engine: Any) -> None:
        self.data = data
        self.workflow = type("_Workflow", (), {"script_engine": script_engine})()
        self.task_spec = None


def run_decision(engine: DMNEngine, data: dict[str, Any], script_engine: Any) -> Any:
    """Evaluate a decision on ``data`` with the sandboxed script engine; a dict (UNIQUE) or a
    list of dicts (COLLECT)."""
    return engine.result(_DecisionTask(dict(data), script_engine))


# ---------------------------------------------------------------------------- inspection


@cache
def supported_tags() -> frozenset[str]:
    """Local names of the BPMN flow elements the parser can build."""
    parser = SpiffBpmnParser()
    known = {**parser.PARSER_CLASSES, **getattr(parser, "OVERRIDE_PARSER_CLASSES", {})}
    return frozenset(etree.QName(tag).localname for tag in known)


def spec_graph(specs: list[BpmnProcessSpec]) -> tuple[set[str], set[tuple[str, str]]]:
    """The BPMN ids and (source, target) flows the parser actually built.

    Internal specs (Start, End, boundary-event splits/joins) have no BPMN id: flows are
    followed through them, so ``A -> [A.BoundaryEventJoin] -> B`` counts as ``A -> B``.
    """
    nodes: set[str] = set()
    edges: set[tuple[str, str]] = set()
    for spec in specs:
        for task_spec in spec.task_specs.values():
            if task_spec.bpmn_id is None:
                continue
            nodes.add(task_spec.bpmn_id)
            edges.update((task_spec.bpmn_id, target) for target in _visible_targets(task_spec))
    return nodes, edges


def _visible_targets(task_spec: Any) -> set[str]:
    found: set[str] = set()
    pending = list(task_spec.outputs)
    seen: set[int] = set()
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if current.bpmn_id is not None:
            found.add(current.bpmn_id)
        else:
            pending.extend(current.outputs)
    return found
