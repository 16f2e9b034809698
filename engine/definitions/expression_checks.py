"""Deploy-time checks of every expression in BPMN and DMN files: Python only, sandbox-safe.

Conditions, scripts, timers, multi-instance settings, message payloads, service parameters and
DMN cells are checked with ``sandbox.check_expression``; expressions of other engines (JUEL
``${x}``, JavaScript, FEEL ranges, bare ISO-8601 timers) are named as such.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

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


# ---------------------------------------------------------------------------- timer events

TIMER_KINDS = ("timeDate", "timeDuration", "timeCycle")
CYCLE_FORM = re.compile(r"^R\d*/")
CYCLE_EXAMPLES = "'R/PT1H'、'R3/PT1H' 或 'R/2025-03-03T08:00:00+08:00/P1D'"


def check_timers(document: XmlDocument, *_: Any) -> Iterator[ValidationMessage]:
    """Where each timer form is supported: cycles only on non-interrupting boundaries and top
    level start events; start events need a literal time; literal values must parse."""
    for definition in elements(document, ".//bpmn:timerEventDefinition"):
        event = definition.getparent()
        for problem in _timer_event_problems(document, event, definition):
            yield message_at(document, event, problem)


def _timer_event_problems(document: XmlDocument, event: Any, definition: Any) -> Iterator[str]:
    found = [(local_name(c), c.text or "") for c in definition if local_name(c) in TIMER_KINDS]
    if not found:
        yield "计时器没有设置 timeDate、timeDuration 或 timeCycle"
        return
    kind, text = found[0]
    literal = _literal(text)
    where = local_name(event)
    if where == "startEvent":
        yield from _start_timer_problems(event, kind, literal)
    elif kind == "timeCycle" and where == "boundaryEvent" and _interrupting(event):
        yield '中断型边界计时器不能循环（timeCycle）：循环催办请设 cancelActivity="false"'
    elif kind == "timeCycle" and where != "boundaryEvent":
        yield "中间计时器事件不支持循环（timeCycle）；循环提醒请用非中断边界计时器"
    if literal is not None:
        problem = _value_problem(kind, literal)
        if problem:
            yield problem


def _start_timer_problems(event: Any, kind: str, literal: str | None) -> Iterator[str]:
    container = event.getparent()
    if local_name(container) != "process":
        yield "子流程（含事件子流程）中的计时器开始事件不受支持，只能用于流程的开始事件"
        return
    if literal is None:
        yield (
            "计时器开始事件的时间必须是带引号的固定值（如 "
            f"{CYCLE_EXAMPLES}）：启动前还没有流程数据可用"
        )
    elif kind != "timeDuration" and "T" in literal and not _has_zone(literal):
        yield f"计时器开始事件的时间“{literal}”请写明时区，如 +08:00"
    starts = [c for c in container if local_name(c) == "startEvent"]
    if len(starts) > 1:
        yield "定时启动的流程只能有一个开始事件"


def _interrupting(event: Any) -> bool:
    return event.get("cancelActivity") != "false"


def _literal(text: str) -> str | None:
    """The string a timer expression stands for when it is a constant, else None."""
    try:
        value = ast.literal_eval(text.strip())
    except (ValueError, SyntaxError):
        return None
    return value if isinstance(value, str) else None


def _value_problem(kind: str, value: str) -> str | None:
    try:
        if kind == "timeCycle":
            if not CYCLE_FORM.match(value.upper()):
                raise ValueError(value)
            cycles, _start, duration = TimerEventDefinition.parse_iso_recurring_interval(value)
            if duration.total_seconds() <= 0 or cycles == 0:
                raise ValueError(value)
        elif kind == "timeDuration":
            TimerEventDefinition.parse_iso_duration(value)
        else:
            datetime.fromisoformat(value)
    except Exception:  # Spiff's parsers raise bare Exception
        examples = {"timeCycle": CYCLE_EXAMPLES, "timeDuration": "'PT4H'、'P2D'"}
        example = examples.get(kind, "'2025-03-10T08:00:00+08:00'")
        return f"计时器的值“{value}”不是有效的 {kind}，应写作 {example}"
    return None


def _has_zone(value: str) -> bool:
    parts = [p for p in value.split("/") if p[:1].isdigit()]
    return all(re.search(r"(Z|[+-]\d{2}:?\d{2})$", part) for part in parts)
