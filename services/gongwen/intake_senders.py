"""The external senders the intake API accepts (``OA_INTAKE_SENDERS``): code, secret, addresses.

The setting reads ``代码=共享密钥@IP或网段,IP或网段;代码2=…``; an entry may end with
``|https://回调地址`` where the platform POSTs status events of the sender's packages (签收,
退文, 办结), signed with the same secret. Errors name the sender, never the secret, so a
mistyped setting cannot leak a key into a log.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import re
from dataclasses import dataclass, field

from services.config import ConfigError

MIN_SECRET = 32
_CODE = re.compile(r"^[A-Za-z0-9_.-]{1,32}$")
# The optional callback at the end of an entry: "|" then an http(s) URL (no space, ";" or "|").
_CALLBACK = re.compile(r"\|\s*(https?://[^\s;|]*)\s*$")
_URL = re.compile(r"^https?://[^/?#@\s]+(?:[/?#]\S*)?$")
MAX_CALLBACK = 500
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class Sender:
    """One external system allowed to push packages."""

    code: str
    secret: str = field(repr=False)
    networks: tuple[Network, ...]
    callback_url: str = ""

    def sign(self, timestamp: str, content: bytes) -> str:
        """The hex HMAC-SHA256 of ``"<code>\\n<timestamp>\\n"`` + ``content`` with the secret."""
        return signature(self.secret, self.code, timestamp, content)

    def allows(self, address: str | None) -> bool:
        """Whether the client ``address`` is inside one of the sender's allowed networks."""
        try:
            ip = ipaddress.ip_address(address or "")
        except ValueError:
            return False
        return any(ip.version == net.version and ip in net for net in self.networks)


def signature(secret: str, sender: str, timestamp: str, content: bytes) -> str:
    """The hex HMAC-SHA256 of ``"<sender>\\n<timestamp>\\n"`` followed by ``content``."""
    message = f"{sender}\n{timestamp}\n".encode() + content
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def parse_senders(raw: str) -> dict[str, Sender]:
    """The senders of the setting by code; ConfigError (naming the variable) when malformed."""
    senders: dict[str, Sender] = {}
    for entry in filter(None, (part.strip() for part in raw.split(";"))):
        sender = _parse_entry(entry)
        if sender.code in senders:
            raise ConfigError(f"OA_INTAKE_SENDERS 中发送方 {sender.code} 重复")
        senders[sender.code] = sender
    return senders


def _parse_entry(entry: str) -> Sender:
    code, _, rest = entry.partition("=")
    code = code.strip()
    if not _CODE.match(code):
        raise ConfigError("OA_INTAKE_SENDERS 的发送方代码只能由字母、数字、_.- 组成（最长 32）")
    rest, callback_url = _split_callback(code, rest)
    secret, _, addresses = rest.rpartition("@")
    if len(secret.strip()) < MIN_SECRET:
        raise ConfigError(f"OA_INTAKE_SENDERS 中发送方 {code} 的密钥至少需要 {MIN_SECRET} 个字符")
    networks = tuple(_network(code, a) for a in addresses.split(",") if a.strip())
    if not networks:
        raise ConfigError(f"OA_INTAKE_SENDERS 中发送方 {code} 没有允许的 IP 地址")
    return Sender(code, secret.strip(), networks, callback_url)


def _split_callback(code: str, rest: str) -> tuple[str, str]:
    found = _CALLBACK.search(rest)
    if found is None:
        return rest, ""
    url = found.group(1)
    if not _URL.match(url) or len(url) > MAX_CALLBACK:
        raise ConfigError(f"OA_INTAKE_SENDERS 中发送方 {code} 的回调地址不是有效的 http(s) 地址")
    return rest[: found.start()], url


def _network(code: str, text: str) -> Network:
    try:
        return ipaddress.ip_network(text.strip(), strict=False)
    except ValueError as exc:
        raise ConfigError(
            f"OA_INTAKE_SENDERS 中发送方 {code} 的地址 {text.strip()!r} 不是 IP 或网段"
        ) from exc
