"""Saving a submission's uploads: called by the route right before it completes the task, in
the same transaction, so a completion that fails (a stale task, a validation error of the
engine) rolls the files back with it and nothing is half-saved."""

from __future__ import annotations

from services.files import store
from web.forms.parse import Submission


def store_uploads(
    submission: Submission, *, uploader_id: int, instance_id: int, task_id: int | None
) -> None:
    """Save each checked upload of ``submission`` and put its id into the submitted data."""
    for pending in submission.uploads:
        row = store.save(
            pending.checked,
            uploader_id=uploader_id,
            instance_id=instance_id,
            task_id=task_id,
            field=pending.path,
        )
        pending.metadata["id"] = row.id
