"""Tables of the process repository: definitions and their immutable versions.

A version holds the deployed files and the parsed spec serialized once, so instances only keep
their own state and point here (trap 6 of the SpiffWorkflow notes: never embed the spec per
instance).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from services import clock
from services.db import UTCDateTime, db


class ProcessDefinition(db.Model):  # type: ignore[name-defined]
    """A process key (e.g. ``qingjia``) and the number of its newest version."""

    __tablename__ = "engine_process_definition"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    latest_version: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    versions: Mapped[list[ProcessVersion]] = relationship(
        back_populates="definition", order_by="ProcessVersion.version"
    )


class ProcessVersion(db.Model):  # type: ignore[name-defined]
    """One deployed version; never updated after insert."""

    __tablename__ = "engine_process_version"
    __table_args__ = (UniqueConstraint("key", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    definition_id: Mapped[int] = mapped_column(
        ForeignKey("engine_process_definition.id"), index=True
    )
    key: Mapped[str] = mapped_column(String(100))
    version: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    # sha256 over the sorted (filename, content) pairs: equal content means a no-op redeploy.
    checksum: Mapped[str] = mapped_column(String(64))
    files: Mapped[dict[str, str]] = mapped_column(JSON)
    # UTF-8 JSON text written by engine.definitions.parsing (Chinese not escaped: ~15% smaller).
    spec_json: Mapped[str] = mapped_column(Text)
    deployed_by_id: Mapped[int | None] = mapped_column(ForeignKey("org_user.id"))
    deployed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    comment: Mapped[str] = mapped_column(Text, default="")
    tag: Mapped[str | None] = mapped_column(String(50))

    definition: Mapped[ProcessDefinition] = relationship(back_populates="versions")


@event.listens_for(ProcessVersion, "before_update")
def _refuse_version_update(_mapper: object, _connection: object, version: ProcessVersion) -> None:
    """Running instances and audits rely on a version never changing after deploy."""
    raise ValueError(f"流程版本不可修改：{version.key} v{version.version}")
