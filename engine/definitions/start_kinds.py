"""How a deployed process may be started: by a person, by a message, by a timer, or only by a call.

The 发起流程 page and ``POST /api/v1/process-instances`` start processes for a person. Only a
process whose pool has a plain (none) start event may be started that way: a 收文 is started by
the ``gongwen.received`` message of a 分发, a timer-start report by the scheduler, and the shared
pieces in ``bpmn-models/`` (会签, 归档, 传阅) only by the call activities of other processes.
Starting those by hand would run them without the data their start provides.

The kind is read from the version's stored XML. It is cached by process key and checksum of the
deployed files (not by version id: ids repeat across databases, e.g. in tests).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from threading import Lock
from typing import Any

from lxml import etree

from engine.definitions.parsing import XmlDocument, parse_xml

BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
# Start event definitions, by local name, and what they mean for a person starting it.
_TRIGGERS = {
    "messageEventDefinition": "message",
    "timerEventDefinition": "timer",
    "signalEventDefinition": "signal",
    "conditionalEventDefinition": "conditional",
}
REFUSALS = {
    "message": "由消息（如来文送达）自动启动",
    "timer": "由定时器按时自动启动",
    "signal": "由信号自动启动",
    "conditional": "在条件满足时自动启动",
    "called": "只能由其他流程调用（公用子流程）",
}

_cache: dict[tuple[str, str], StartKind] = {}
_lock = Lock()


@dataclass(frozen=True)
class StartKind:
    """The start triggers of one process version."""

    triggers: frozenset[str]  # "none", "message", "timer", ... from the pool's start events
    called: bool  # another process of the same deployment calls it

    @property
    def manual(self) -> bool:
        """A person may start it (from 发起流程 or the API)."""
        return "none" in self.triggers and not self.called

    def refusal(self) -> str:
        """Why a person may not start it (Chinese), for the error message."""
        if self.called:
            return REFUSALS["called"]
        automatic = sorted(t for t in self.triggers if t in REFUSALS)
        return "、".join(REFUSALS[t] for t in automatic) or "没有可手工发起的开始事件"


def start_kind(key: str, checksum: str, files: dict[str, str]) -> StartKind:
    """The start kind of process ``key`` in a version's ``files`` (``checksum`` identifies them)."""
    with _lock:
        known = _cache.get((key, checksum))
    if known is not None:
        return known
    kind = _read(key, _documents(files))
    with _lock:
        _cache[(key, checksum)] = kind
    return kind


def _documents(files: dict[str, str]) -> list[XmlDocument]:
    parsed = (parse_xml(name, text.encode("utf-8")) for name, text in files.items())
    return [doc for doc in parsed if isinstance(doc, XmlDocument) and not doc.is_dmn]


def _read(key: str, documents: Iterable[XmlDocument]) -> StartKind:
    triggers: set[str] = set()
    called = False
    for document in documents:
        for process in document.root.iterfind(f"{BPMN}process"):
            if process.get("id") == key:
                triggers |= {_trigger(event) for event in process.iterfind(f"{BPMN}startEvent")}
            elif _calls(process, key):
                called = True
    return StartKind(frozenset(triggers), called)


def _trigger(event: Any) -> str:
    for child in event:
        if isinstance(child.tag, str):
            name = etree.QName(child).localname
            if name in _TRIGGERS:
                return _TRIGGERS[name]
    return "none"


def _calls(process: Any, key: str) -> bool:
    return any(
        element.get("calledElement") == key for element in process.iter(f"{BPMN}callActivity")
    )
