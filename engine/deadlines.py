"""A user task's ``dueIn``: an ISO-8601 duration literal (``P3D``) or a sandbox expression that
evaluates to one (``fawen_deadlines[urgency]['expire']``, deadlines by 紧急程度 from a service).

One classification for deploy-time validation and run-time evaluation: text that starts like a
duration (``P`` then a digit or ``T``) is a literal and must be a valid one; anything else is an
expression, so a mistyped literal is reported as such instead of as an unknown variable.
"""

from __future__ import annotations

import re

ISO_DURATION = re.compile(
    r"^P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$"
)
_LOOKS_LITERAL = re.compile(r"^P[\dT]")


def is_literal(text: str) -> bool:
    """Whether ``dueIn`` text is meant as a duration literal rather than an expression."""
    return bool(_LOOKS_LITERAL.match(text.strip()))


def literal_problem(text: str) -> str | None:
    """A Chinese message when a literal is not a valid ISO-8601 duration, else None."""
    if ISO_DURATION.match(text.strip()):
        return None
    return f"dueIn“{text}”不是 ISO-8601 时长（如 P3D、PT4H）"
