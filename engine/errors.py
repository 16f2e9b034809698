"""Errors raised by the engine, with the context a process author or an admin needs.

``DeployError`` lists every problem found in the files of one deploy (each naming file, element
id and element name), so an analyst fixes them all in one round instead of one per attempt.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from services.errors import OAError


@dataclass(frozen=True)
class ValidationMessage:
    """One problem in a BPMN/DMN file, written for the analyst (Chinese ``message``)."""

    file: str
    element_id: str | None
    element_name: str | None
    message: str

    def __str__(self) -> str:
        where = self.file
        if self.element_id:
            label = f"{self.element_name}（{self.element_id}）" if self.element_name else ""
            where += f" 中的元素 {label or self.element_id}"
        return f"{where}：{self.message}" if where else self.message


class DeployError(OAError):
    """The files cannot be deployed; ``messages`` says what and where."""

    kind = "validation"

    def __init__(self, messages: list[ValidationMessage]) -> None:
        summary = "流程部署失败：\n" + "\n".join(str(m) for m in messages)
        super().__init__(summary, code="deploy_failed")
        self.messages = list(messages)


class EngineError(OAError):
    """A runtime problem of a process instance (context: process key, instance, task)."""

    kind = "engine"


class ServiceTaskError(EngineError):
    """A service task failed; ``error_code`` is what a BPMN error boundary event can catch."""

    def __init__(self, message: str, *, service: str, error_code: str, **context: Any) -> None:
        super().__init__(message, code="service_task_failed", service=service, **context)
        self.service = service
        self.error_code = error_code
