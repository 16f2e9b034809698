"""Saving and finding stored files. Saving only adds rows to the session: the caller's
transaction decides whether they stay."""

from __future__ import annotations

from sqlalchemy import select

from services.db import db
from services.files.models import PURPOSE_ATTACHMENT, StoredFile
from services.files.policy import CheckedFile


def save(
    checked: CheckedFile,
    *,
    uploader_id: int,
    purpose: str = PURPOSE_ATTACHMENT,
    instance_id: int | None = None,
    task_id: int | None = None,
    field: str | None = None,
) -> StoredFile:
    """Add ``checked`` as a new stored file (flushed, so it has an id; not committed)."""
    row = StoredFile(
        sha256=checked.sha256,
        size=checked.size,
        kind=checked.kind.name,
        content_type=checked.kind.content_type,
        filename=checked.filename,
        purpose=purpose,
        uploader_id=uploader_id,
        instance_id=instance_id,
        task_id=task_id,
        field=field,
        content=checked.content,
    )
    db.session.add(row)
    db.session.flush()
    return row


def get(file_id: int) -> StoredFile | None:
    """The stored file with this id (content not loaded until read)."""
    return db.session.get(StoredFile, file_id)


def attachments_of(instance_id: int) -> list[StoredFile]:
    """The attachments uploaded in a process instance, oldest first."""
    stmt = (
        select(StoredFile)
        .where(StoredFile.instance_id == instance_id, StoredFile.purpose == PURPOSE_ATTACHMENT)
        .order_by(StoredFile.id)
    )
    return list(db.session.scalars(stmt))


def describe(row: StoredFile) -> dict[str, object]:
    """What form data keeps of a stored file (the content stays in the table)."""
    return {
        "id": row.id,
        "filename": row.filename,
        "size": row.size,
        "sha256": row.sha256,
        "content_type": row.content_type,
    }
