"""Each user's notification preferences: external channels per kind, and quiet hours.

In-app notifications are always written. E-mail and SMS go out only for the kinds a user chose.
During quiet hours (Beijing time, may wrap midnight, e.g. 22:00-07:00) they are deferred to the
end of the window; an urgent (特急) notification is sent at once when ``urgent_bypass`` is on.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta, timezone

from sqlalchemy import select

from services import clock
from services.db import db
from services.errors import ValidationFailed
from services.notify.channels import all_channels
from services.notify.models import NotifyPreference

BEIJING = timezone(timedelta(hours=8), "Asia/Shanghai")
KINDS = {"new_task": "新待办", "reminder": "催办提醒", "overdue": "逾期提醒"}
# Categories written by send_in_app -> the kind a user chooses channels for. Other categories
# (e.g. security alerts) stay in-app only.
KIND_OF_CATEGORY = {
    "task": "new_task",
    # "shouwen" (a 收文 arrived) stays in-app: its 签收 task sends the 新待办 e-mail/SMS, and the
    # same 收发员 would otherwise get two messages for one document.
    "circulation": "new_task",
    "remind": "reminder",
    "urge": "reminder",
    "escalate": "overdue",
    "overdue": "overdue",
}


@dataclass(frozen=True)
class Preferences:
    """A user's preferences; the defaults (no row) are in-app only and no quiet hours."""

    channels: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    quiet_start: str | None = None
    quiet_end: str | None = None
    urgent_bypass: bool = True

    def channels_for(self, kind: str) -> tuple[str, ...]:
        """The external channels chosen for ``kind``."""
        return self.channels.get(kind, ())


def _from_row(row: NotifyPreference | None) -> Preferences:
    if row is None:
        return Preferences()
    channels = {kind: _split(getattr(row, kind)) for kind in KINDS}
    return Preferences(channels, row.quiet_start, row.quiet_end, row.urgent_bypass)


def _split(value: str) -> tuple[str, ...]:
    return tuple(name for name in value.split(",") if name)


def get_preferences(user_id: int) -> Preferences:
    """The preferences of one user (defaults when never saved)."""
    return _from_row(db.session.get(NotifyPreference, user_id))


def preferences_of(user_ids: Iterable[int]) -> dict[int, Preferences]:
    """Saved preferences of several users in one query; users without a row are absent."""
    ids = list(user_ids)
    rows = db.session.scalars(select(NotifyPreference).where(NotifyPreference.user_id.in_(ids)))
    return {row.user_id: _from_row(row) for row in rows}


def save_preferences(
    user_id: int,
    channels: Mapping[str, Iterable[str]],
    quiet_start: str = "",
    quiet_end: str = "",
    urgent_bypass: bool = True,
) -> Preferences:
    """Validate and store a user's choice (the caller commits)."""
    known = {channel.name for channel in all_channels()}
    chosen: dict[str, str] = {}
    for kind, names in channels.items():
        if kind not in KINDS:
            raise ValidationFailed(f"未知的通知类别：{kind}")
        unknown = set(names) - known
        if unknown:
            raise ValidationFailed(f"未知的通知渠道：{'、'.join(sorted(unknown))}")
        chosen[kind] = ",".join(name for name in sorted(known) if name in set(names))
    start, end = _validate_quiet(quiet_start.strip(), quiet_end.strip())
    row = db.session.get(NotifyPreference, user_id) or NotifyPreference(user_id=user_id)
    for kind in KINDS:
        setattr(row, kind, chosen.get(kind, ""))
    row.quiet_start, row.quiet_end, row.urgent_bypass = start, end, urgent_bypass
    row.updated_at = clock.now()
    db.session.add(row)
    return _from_row(row)


def _validate_quiet(start: str, end: str) -> tuple[str | None, str | None]:
    if not start and not end:
        return None, None
    if not start or not end:
        raise ValidationFailed("免打扰时段需同时填写开始和结束时间")
    if _parse(start) == _parse(end):
        raise ValidationFailed("免打扰时段的开始和结束时间不能相同")
    return start, end


def _parse(value: str) -> time:
    try:
        parsed = datetime.strptime(value, "%H:%M").time()
    except ValueError as exc:
        raise ValidationFailed(f"时间格式应为 时:分（如 22:00），实际为 {value!r}") from exc
    return parsed


def quiet_until(prefs: Preferences, now: datetime) -> datetime | None:
    """The end of the quiet window ``now`` falls into (UTC), or None outside quiet hours."""
    if not prefs.quiet_start or not prefs.quiet_end:
        return None
    start, end = _parse(prefs.quiet_start), _parse(prefs.quiet_end)
    local = now.astimezone(BEIJING)
    current = local.time().replace(second=0, microsecond=0)
    wraps = start > end  # e.g. 22:00-07:00
    inside = (current >= start or current < end) if wraps else (start <= current < end)
    if not inside:
        return None
    end_at = local.replace(hour=end.hour, minute=end.minute, second=0, microsecond=0)
    if end_at <= local:
        end_at += timedelta(days=1)
    return end_at.astimezone(now.tzinfo)
