"""Tables of stored files: the files themselves and each user's current handwritten signature."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, deferred, mapped_column

from services import clock
from services.db import UTCDateTime, db

PURPOSE_ATTACHMENT = "attachment"
PURPOSE_SIGNATURE = "signature"


class StoredFile(db.Model):  # type: ignore[name-defined]
    """One uploaded file. ``content`` is loaded only when asked for (downloads), so listing
    attachments never reads the blobs.

    ``instance_id``/``task_id`` say which process instance an attachment belongs to (who may
    download it follows from that); they are plain numbers because services do not know the
    engine's tables. Signatures belong to no instance.
    """

    __tablename__ = "files_stored_file"

    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(10))  # "pdf", "docx" ... (see sniff.KINDS)
    content_type: Mapped[str] = mapped_column(String(100))  # from the kind, not the browser
    filename: Mapped[str] = mapped_column(String(200))  # sanitised original name
    purpose: Mapped[str] = mapped_column(String(20), default=PURPOSE_ATTACHMENT)
    uploader_id: Mapped[int] = mapped_column(ForeignKey("org_user.id"), index=True)
    instance_id: Mapped[int | None] = mapped_column(Integer, index=True)
    task_id: Mapped[int | None] = mapped_column(Integer)
    field: Mapped[str | None] = mapped_column(String(200))  # form field path, e.g. "sick_note"
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    content: Mapped[bytes] = deferred(mapped_column(LargeBinary))


class UserSignature(db.Model):  # type: ignore[name-defined]
    """A user's current handwritten signature. Replacing it points here to a new file; the old
    file stays, because opinions signed earlier refer to it."""

    __tablename__ = "files_user_signature"

    user_id: Mapped[int] = mapped_column(ForeignKey("org_user.id"), primary_key=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("files_stored_file.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
