"""In-app notifications shown under the portal bell."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from services import clock
from services.db import UTCDateTime, db


class Notification(db.Model):  # type: ignore[name-defined]
    __tablename__ = "notify_notification"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("org_user.id"), index=True)
    category: Mapped[str] = mapped_column(String(30))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    link: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now, index=True)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
