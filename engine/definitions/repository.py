"""The process repository: deploy files as immutable versions and load their specs.

``deploy`` validates everything first (``validation.validate_files``), then stores one new
``ProcessVersion`` per executable process found, holding all deployed files and the serialized
spec of that process and its subprocesses. Deploying content identical to a key's latest version
is a no-op that returns the existing version. Nothing here commits: the caller owns the
transaction.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from dataclasses import dataclass
from threading import Lock
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import Engine, bindparam, select

from engine.definitions import parsing, start_kinds
from engine.definitions.models import ProcessDefinition, ProcessVersion
from engine.definitions.validation import ValidatedFiles, validate_files
from engine.errors import EngineError
from engine.registry import ServiceRegistry
from engine.sandbox import make_script_engine
from services import clock
from services.db import db
from services.errors import Forbidden, NotFound

SPEC_CACHE_SIZE = 64


@dataclass(frozen=True)
class DeployedProcess:
    """The outcome of a deploy for one process key."""

    key: str
    version: int
    version_id: int
    created: bool
    name: str


@dataclass(frozen=True)
class DefinitionSummary:
    """A process definition as listed by ``oa processes`` and the admin pages."""

    key: str
    name: str
    latest_version: int
    version_count: int
    deployed_at: Any
    deployed_by_id: int | None
    comment: str
    # A person may start it (a plain start event, not a shared called piece): see start_kinds.
    manual_start: bool = True


@dataclass
class LoadedSpec:
    """Engine-internal: the Spiff specs of one version, shared (read-only) by all instances."""

    spec: Any
    subprocess_specs: dict[str, Any]
    version_id: int
    key: str
    files: dict[str, str]
    _decisions: dict[str, Any] | None = None

    def decide(self, decision_id: str, data: dict[str, Any]) -> Any:
        """Evaluate DMN decision ``decision_id`` of this version on ``data`` (sandboxed)."""
        if self._decisions is None:
            self._decisions = parsing.load_decisions(self.files)
        engine = self._decisions.get(decision_id)
        if engine is None:
            raise EngineError(f"DMN 决策 {decision_id} 不存在", process_key=self.key)
        return parsing.run_decision(engine, data, make_script_engine())


def checksum(files: dict[str, bytes]) -> str:
    """sha256 over the sorted (filename, content) pairs."""
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode("utf-8") + b"\0")
        digest.update(hashlib.sha256(files[name]).digest())
    return digest.hexdigest()


def deploy(
    files: dict[str, bytes],
    *,
    deployed_by: int | None,
    comment: str = "",
    tag: str | None = None,
    registry: ServiceRegistry | None = None,
) -> list[DeployedProcess]:
    """Validate ``files`` ({filename: content}) and store a version per executable process.

    Raises ``DeployError`` listing every problem (file, element id and name, Chinese message).
    """
    validated = validate_files(files, registry=registry)
    digest = checksum(files)
    texts = {name: content.decode("utf-8") for name, content in files.items()}
    return [
        _store(validated, key, digest, texts, deployed_by, comment, tag)
        for key in validated.process_ids
    ]


def _store(
    validated: ValidatedFiles,
    key: str,
    digest: str,
    texts: dict[str, str],
    deployed_by: int | None,
    comment: str,
    tag: str | None,
) -> DeployedProcess:
    name = validated.process_names[key]
    definition = _definition_for_update(key, name)
    latest = _latest_or_none(definition)
    if latest is not None and latest.checksum == digest:
        return DeployedProcess(key, latest.version, latest.id, False, latest.name)
    parsed = validated.parsed
    version = ProcessVersion(
        definition_id=definition.id,
        key=key,
        version=definition.latest_version + 1,
        name=name,
        checksum=digest,
        files=texts,
        spec_json=parsing.serialize_specs(parsed.specs[key], parsed.subprocess_specs[key]),
        deployed_by_id=deployed_by,
        deployed_at=clock.now(),
        comment=comment,
        tag=tag,
    )
    db.session.add(version)
    definition.latest_version = version.version
    definition.name = name
    db.session.flush()
    return DeployedProcess(key, version.version, version.id, True, name)


def _definition_for_update(key: str, name: str) -> ProcessDefinition:
    # Row lock on PostgreSQL so two concurrent deploys of one key cannot both take version n+1;
    # SQLite serializes writers anyway (and the unique (key, version) is the last guard).
    stmt = select(ProcessDefinition).where(ProcessDefinition.key == key).with_for_update()
    definition = db.session.scalars(stmt).one_or_none()
    if definition is None:
        definition = ProcessDefinition(key=key, name=name, latest_version=0, created_at=clock.now())
        db.session.add(definition)
        db.session.flush()
    return definition


def _latest_or_none(definition: ProcessDefinition) -> ProcessVersion | None:
    if not definition.latest_version:
        return None
    stmt = select(ProcessVersion).where(
        ProcessVersion.key == definition.key, ProcessVersion.version == definition.latest_version
    )
    return db.session.scalars(stmt).one()


def latest_version(key: str) -> ProcessVersion:
    """The newest version of process ``key``."""
    definition = db.session.scalars(
        select(ProcessDefinition).where(ProcessDefinition.key == key)
    ).one_or_none()
    version = _latest_or_none(definition) if definition is not None else None
    if version is None:
        raise NotFound(f"流程 {key} 尚未部署")
    return version


# Built once: every start runs it.
_LATEST_VERSION_ID = (
    select(ProcessVersion.id)
    .join(ProcessDefinition, ProcessDefinition.id == ProcessVersion.definition_id)
    .where(
        ProcessDefinition.key == bindparam("key"),
        ProcessVersion.version == ProcessDefinition.latest_version,
    )
)


def latest_version_id(key: str) -> int:
    """The id of the newest version of ``key``: one query, without the version's files."""
    version_id = db.session.scalar(_LATEST_VERSION_ID, {"key": key})
    if version_id is None:
        raise NotFound(f"流程 {key} 尚未部署")
    return version_id


def _start_kind(version: ProcessVersion) -> start_kinds.StartKind:
    return start_kinds.start_kind(version.key, version.checksum, version.files)


def check_manual_start(key: str) -> None:
    """Refuse (``Forbidden``, Chinese reason) starting ``key`` by hand when its latest version
    starts by a message or timer, or is only called by other processes."""
    version = latest_version(key)
    kind = _start_kind(version)
    if not kind.manual:
        raise Forbidden(f"流程“{version.name}”{kind.refusal()}，不能手工发起", process_key=key)


def get_version(version_id: int) -> ProcessVersion:
    """A version by id."""
    version = db.session.get(ProcessVersion, version_id)
    if version is None:
        raise NotFound(f"流程版本不存在（编号 {version_id}）")
    return version


def list_versions(key: str) -> list[ProcessVersion]:
    """All versions of ``key``, oldest first."""
    stmt = select(ProcessVersion).where(ProcessVersion.key == key).order_by(ProcessVersion.version)
    return list(db.session.scalars(stmt))


def list_definitions() -> list[DefinitionSummary]:
    """Every deployed process with its latest version, by key."""
    definitions = db.session.scalars(select(ProcessDefinition).order_by(ProcessDefinition.key))
    summaries = []
    for definition in definitions:
        latest = _latest_or_none(definition)
        if latest is None:
            continue
        summaries.append(
            DefinitionSummary(
                key=definition.key,
                name=definition.name,
                latest_version=definition.latest_version,
                version_count=len(definition.versions),
                deployed_at=latest.deployed_at,
                deployed_by_id=latest.deployed_by_id,
                comment=latest.comment,
                manual_start=_start_kind(latest).manual,
            )
        )
    return summaries


# ---------------------------------------------------------------------------- spec cache

# Keyed by database too: version ids repeat across databases (tests, several installations).
_cache: OrderedDict[tuple[str, int], LoadedSpec] = OrderedDict()
_cache_lock = Lock()
# Rendering an engine's URL costs more than the cache lookup itself: remember it per engine.
_database_names: WeakKeyDictionary[Engine, str] = WeakKeyDictionary()


def _database_name(engine: Engine) -> str:
    name = _database_names.get(engine)
    if name is None:
        name = _database_names[engine] = str(engine.url)
    return name


def load_spec(version_id: int) -> LoadedSpec:
    """The deserialized specs of a version, cached in-process (versions are immutable)."""
    cache_key = (_database_name(db.engine), version_id)
    with _cache_lock:
        loaded = _cache.get(cache_key)
        if loaded is not None:
            _cache.move_to_end(cache_key)
            return loaded
    version = get_version(version_id)
    spec, subprocess_specs = parsing.deserialize_specs(version.spec_json)
    loaded = LoadedSpec(spec, subprocess_specs, version.id, version.key, dict(version.files))
    with _cache_lock:
        _cache[cache_key] = loaded
        while len(_cache) > SPEC_CACHE_SIZE:
            _cache.popitem(last=False)
    return loaded


def clear_spec_cache() -> None:
    """Forget cached specs (tests use fresh databases whose version ids repeat)."""
    with _cache_lock:
        _cache.clear()
