"""File responses: the bytes with a type we chose, a UTF-8 file name (RFC 5987/6266) and
``nosniff``, so a browser never second-guesses an uploaded file into HTML or script."""

from __future__ import annotations

from urllib.parse import quote

from flask import Response

from services.files.models import StoredFile


def content_disposition(filename: str, disposition: str = "attachment") -> str:
    """``attachment; filename="<ASCII fallback>"; filename*=UTF-8''<percent-encoded>``."""
    fallback = "".join(
        c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in filename
    )
    return f"{disposition}; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def file_response(row: StoredFile, *, inline: bool = False) -> Response:
    """The stored file as a download (or shown inline, for signature images)."""
    response = Response(row.content, mimetype=row.content_type.split(";")[0])
    if row.content_type.startswith("text/"):
        response.headers["Content-Type"] = row.content_type
    disposition = "inline" if inline else "attachment"
    response.headers["Content-Disposition"] = content_disposition(row.filename, disposition)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response
