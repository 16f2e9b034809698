"""Validate and deploy BPMN files for the studio and the admin console, with an audit record.

The engine raises ``DeployError`` with one ``ValidationMessage`` per problem; the pages want
them as plain dicts (file, element id and name, Chinese message) to list and to mark on the
diagram.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from engine.definitions import repository
from engine.definitions.repository import DeployedProcess
from engine.definitions.validation import validate_files
from engine.errors import DeployError
from services.audit import log as audit


def problems(files: dict[str, bytes]) -> list[dict[str, Any]]:
    """Every deploy-validation problem of ``files``; empty when they would deploy."""
    try:
        validate_files(files)
    except DeployError as exc:
        return [asdict(m) for m in exc.messages]
    return []


def deploy(
    files: dict[str, bytes], *, actor_id: int, comment: str, via: str
) -> list[DeployedProcess]:
    """Deploy ``files`` as new versions and audit each; DeployError lists the problems."""
    try:
        deployed = repository.deploy(files, deployed_by=actor_id, comment=comment)
    except DeployError:
        audit.record(
            "process.deploy",
            object_type="process_files",
            result="failure",
            detail={"files": sorted(files), "via": via},
        )
        raise
    for item in deployed:
        audit.record(
            "process.deploy",
            object_type="process_definition",
            object_id=item.key,
            detail={"version": item.version, "created": item.created, "via": via},
        )
    return deployed


def messages_of(exc: DeployError) -> list[dict[str, Any]]:
    """The problems of a failed deploy as dicts."""
    return [asdict(m) for m in exc.messages]
