"""External notification channels (e-mail, SMS) behind one small registry.

A channel knows whether the installation configured it and how to send one message; it raises
``DeliveryError`` on any failure, and the outbox retries. New channels (a carrier's SMS API,
an instant messenger) register themselves with ``register_channel``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from services.config import Settings


class DeliveryError(Exception):
    """A send failed; the message (no credentials in it) is stored on the outbox row."""


@dataclass(frozen=True)
class OutboundMessage:
    """What a channel sends: the address (e-mail or mobile number), a subject and a body."""

    address: str
    subject: str
    body: str


class Channel(Protocol):
    """An external channel: ``name`` is stored on outbox rows, ``label`` shown to users."""

    name: str
    label: str

    def configured(self, settings: Settings) -> bool:
        """True when the installation set this channel up."""
        ...

    def address_of(self, email: str | None, mobile: str | None) -> str | None:
        """The user's address on this channel, or None when the user has none."""
        ...

    def send(self, message: OutboundMessage, settings: Settings) -> None:
        """Deliver one message or raise ``DeliveryError``."""
        ...


_registry: dict[str, Channel] = {}


def register_channel(channel: Channel) -> None:
    """Make ``channel`` available under its name (replacing one of the same name)."""
    _registry[channel.name] = channel


def get_channel(name: str) -> Channel:
    """The registered channel ``name``; ``DeliveryError`` when unknown."""
    try:
        return _registry[name]
    except KeyError as exc:
        raise DeliveryError(f"未知的通知渠道：{name}") from exc


def all_channels() -> list[Channel]:
    """Every registered channel, in registration order."""
    return list(_registry.values())


def _register_defaults() -> None:
    from services.notify.channels.email import SmtpEmailChannel
    from services.notify.channels.sms import SmsChannel

    register_channel(SmtpEmailChannel())
    register_channel(SmsChannel())


_register_defaults()
