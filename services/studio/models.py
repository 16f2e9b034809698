"""Drafts of the web modeler: the diagram an analyst is working on, before it is deployed."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from services import clock
from services.db import UTCDateTime, db


class StudioDraft(db.Model):  # type: ignore[name-defined]
    """One BPMN file being edited; only its owner sees and changes it."""

    __tablename__ = "studio_draft"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("org_user.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    filename: Mapped[str] = mapped_column(String(200))
    xml: Mapped[str] = mapped_column(Text)
    # Where the draft was opened from (e.g. "processes/qingjia.bpmn"), shown in the list.
    source: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
