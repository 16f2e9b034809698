"""Where a validation message points: namespaces, element kinds, and the element an analyst
would recognise (the task or flow holding an event definition, a script or an expression)."""

from __future__ import annotations

from typing import Any

from lxml import etree

from engine.definitions import parsing
from engine.definitions.parsing import XmlDocument
from engine.errors import ValidationMessage

NS = {
    "bpmn": parsing.BPMN_NS,
    "spiffworkflow": "http://spiffworkflow.org/bpmn/schema/1.0/core",
}
FLOW_NODE_TAGS = {
    "task", "userTask", "manualTask", "scriptTask", "serviceTask", "sendTask", "receiveTask",
    "businessRuleTask", "callActivity", "subProcess", "transaction", "adHocSubProcess",
    "startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent",
    "boundaryEvent", "exclusiveGateway", "parallelGateway", "inclusiveGateway",
    "eventBasedGateway", "complexGateway",
}  # fmt: skip
ANCHOR_TAGS = {"sequenceFlow", "process", "message", "signal", "error", "escalation"}


def message_at(document: XmlDocument, element: Any, text: str) -> ValidationMessage:
    """A message about ``element``, named by the flow element (or process) that holds it: an
    event definition or a script has no name an analyst would recognise."""
    target = element
    while target is not None and not _is_anchor(document, target):
        target = target.getparent()
    if target is None:  # DMN and other elements: the nearest ancestor with an id
        target = element
        while target is not None and target.get("id") is None:
            target = target.getparent()
    element_id = target.get("id") if target is not None else None
    name = target.get("name") if target is not None else None
    return ValidationMessage(document.filename, element_id, name or None, text)


def _is_anchor(document: XmlDocument, element: Any) -> bool:
    if document.is_dmn or element.get("id") is None:
        return False
    return local_name(element) in FLOW_NODE_TAGS | ANCHOR_TAGS


def local_name(element: Any) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def elements(document: XmlDocument, path: str) -> list[Any]:
    return list(document.root.iterfind(path, NS))
