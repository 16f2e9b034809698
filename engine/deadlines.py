"""A user task's ``dueIn``: an ISO-8601 duration literal (``P3D``) or a sandbox expression that
evaluates to one (``fawen_deadlines[urgency]['expire']``, deadlines by 紧急程度 from a service).

One classification for deploy-time validation and run-time evaluation: text that starts like a
duration (``P`` then a digit or ``T``) is a literal and must be a valid one; anything else is an
expression, so a mistyped literal is reported as such instead of as an unknown variable.

Working days: the sandbox function ``workdays(3)`` gives the duration from now to the same time
of day 3 working days later on the 工作日历 (法定节假日 skipped, 调休 weekends counted), usable
in ``dueIn`` and in a timer's ``timeDuration``, as both are evaluated when the step starts.
"""

from __future__ import annotations

import re
from datetime import timedelta

from services import clock
from services.calendar import days

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


MAX_WORKDAYS = 366


def workdays(count: int) -> str:
    """Sandbox helper: ISO duration (``PT…S``) from now to ``count`` working days later."""
    if isinstance(count, bool) or not isinstance(count, int) or not 0 <= count <= MAX_WORKDAYS:
        raise ValueError(f"workdays() 的参数应为 0 至 {MAX_WORKDAYS} 的整数，而不是 {count!r}")
    now = clock.now()
    return iso_seconds(days.add_workdays(now, count) - now)


def iso_seconds(span: timedelta) -> str:
    """A timedelta as an ISO-8601 duration in whole seconds (``PT259200S``)."""
    return f"PT{max(int(span.total_seconds()), 0)}S"
