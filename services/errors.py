"""Domain errors. Each carries a user-facing Chinese message and a kind; web/ maps kinds to HTTP
status codes in one place, so services never speak HTTP."""

from __future__ import annotations

from typing import Any


class OAError(Exception):
    """Base class: ``message`` is shown to the user as is (Simplified Chinese)."""

    kind = "error"

    def __init__(self, message: str, *, code: str | None = None, **context: Any) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.kind
        self.context = context


class NotFound(OAError):
    kind = "not_found"


class Forbidden(OAError):
    kind = "forbidden"


class Conflict(OAError):
    """The object changed under the user (e.g. a task already handled by someone else)."""

    kind = "conflict"


class ValidationFailed(OAError):
    """Input breaks a rule; ``errors`` maps field names to Chinese messages."""

    kind = "validation"

    def __init__(
        self, message: str, *, errors: dict[str, str] | None = None, **context: Any
    ) -> None:
        super().__init__(message, **context)
        self.errors = errors or {}


class AuthenticationFailed(OAError):
    kind = "unauthenticated"
