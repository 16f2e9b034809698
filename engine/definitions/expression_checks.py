"""Deploy-time checks of every expression in BPMN and DMN files: Python only, sandbox-safe.

Conditions, scripts, timers, multi-instance settings, message payloads, service parameters and
DMN cells are checked with ``sandbox.check_expression``; expressions of other engines (JUEL
``${x}``, JavaScript, FEEL ranges, bare ISO-8601 timers) are named as such.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from engine import sandbox
from engine.definitions.locate import NS, elements, local_name, message_at
from engine.definitions.parsing import XmlDocument
from engine.errors import ValidationMessage

BARE_ISO = re.compile(r"^(R\d*/)?(P[0-9YMWDTHS.]+|\d{4}-\d{2}-\d{2}[T0-9:.+\-Z]*)(/.*)?$")
PYTHON_LANGUAGES = {"", "python", "text/x-python", "py"}
DMN_HIT_POLICIES = {"UNIQUE", "COLLECT"}


def expression_problem(text: str, mode: str = "eval") -> str | None:
    stripped = text.strip()
    if "${" in stripped or "#{" in stripped:
        return f"“{stripped}”是 Camunda/JUEL 表达式，请改写为 Python（如 approved == True）"
    return sandbox.check_expression(stripped, mode)


def _language_problem(element: Any, attribute: str) -> str | None:
    language = (element.get(attribute) or "").lower()
    if language and language not in PYTHON_LANGUAGES:
        return f"表达式语言“{element.get(attribute)}”不受支持，只能使用 Python"
    return None


def check_expressions(document: XmlDocument, *_: Any) -> Iterator[ValidationMessage]:
    for element, mode, label in _expressionelements(document):
        language_attr = "scriptFormat" if local_name(element) == "scriptTask" else "language"
        problem = _language_problem(element, language_attr)
        text = _expression_text(element)
        if problem is None and text is not None:
            problem = _timer_problem(text) if label == "计时器" else None
            problem = problem or expression_problem(text, mode)
        if problem:
            yield message_at(document, element, f"{label}无效：{problem}")


def _expression_text(element: Any) -> str | None:
    if local_name(element) == "scriptTask":
        script = element.find("bpmn:script", NS)
        return script.text or "" if script is not None else ""
    if local_name(element) == "parameter":
        return str(element.get("value", ""))
    return element.text if element.text and element.text.strip() else None


def _expressionelements(document: XmlDocument) -> Iterator[tuple[Any, str, str]]:
    queries = [
        (".//bpmn:conditionExpression", "eval", "条件表达式"),
        (".//bpmn:completionCondition", "eval", "完成条件"),
        (".//bpmn:loopCardinality", "eval", "循环次数"),
        (".//bpmn:condition", "eval", "条件事件表达式"),
        (".//bpmn:timeDate", "eval", "计时器"),
        (".//bpmn:timeDuration", "eval", "计时器"),
        (".//bpmn:timeCycle", "eval", "计时器"),
        (".//bpmn:scriptTask", "exec", "脚本"),
        (".//spiffworkflow:preScript", "exec", "前置脚本"),
        (".//spiffworkflow:postScript", "exec", "后置脚本"),
        (".//spiffworkflow:messagePayload", "eval", "消息内容表达式"),
        (".//spiffworkflow:parameter", "eval", "服务参数"),
    ]
    for path, mode, label in queries:
        for element in elements(document, path):
            yield element, mode, label


def _timer_problem(text: str) -> str | None:
    if BARE_ISO.match(text.strip()):
        return f"计时器必须是 Python 表达式，ISO-8601 值请加引号，如 \"'{text.strip()}'\""
    return None


def check_dmn(document: XmlDocument, *_: Any) -> Iterator[ValidationMessage]:
    for element in document.root.iter():
        local = local_name(element)
        if local == "decisionTable":
            policy = (element.get("hitPolicy") or "UNIQUE").upper()
            if policy not in DMN_HIT_POLICIES:
                yield message_at(
                    document, element, f"命中策略 {policy} 不受支持（只支持 UNIQUE 和 COLLECT）"
                )
        problem = _language_problem(element, "expressionLanguage")
        if problem:
            yield message_at(document, element, problem)
        problem = _dmn_cell_problem(element, local)
        if problem:
            yield message_at(document, element, problem)


def _dmn_cell_problem(element: Any, local: str) -> str | None:
    if local not in {"inputExpression", "inputEntry", "outputEntry"}:
        return None
    text_element = next((c for c in element if local_name(c) == "text"), None)
    text = (text_element.text or "").strip() if text_element is not None else ""
    if not text:
        return None
    if text == "-":
        return "单元格“-”不受支持：表示任意值时请留空"
    if local != "inputEntry":
        return expression_problem(text)
    # An input entry is a unary test: "> 3", "'a'", "? in [1, 2]".
    test = text.replace("?", "dmninputexpr")
    problem = expression_problem(test)
    if problem and expression_problem(f"v {test}") is None:
        return None
    return f"决策表单元格“{text}”无效：{problem}" if problem else None
