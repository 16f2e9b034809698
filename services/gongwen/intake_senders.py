"""The external senders the intake API accepts (``OA_INTAKE_SENDERS``): code, secret, addresses.

The setting reads ``代码=共享密钥@IP或网段,IP或网段;代码2=…``. Errors name the sender, never the
secret, so a mistyped setting cannot leak a key into a log.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field

from services.config import ConfigError

MIN_SECRET = 32
_CODE = re.compile(r"^[A-Za-z0-9_.-]{1,32}$")
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class Sender:
    """One external system allowed to push packages."""

    code: str
    secret: str = field(repr=False)
    networks: tuple[Network, ...]

    def allows(self, address: str | None) -> bool:
        """Whether the client ``address`` is inside one of the sender's allowed networks."""
        try:
            ip = ipaddress.ip_address(address or "")
        except ValueError:
            return False
        return any(ip.version == net.version and ip in net for net in self.networks)


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
    secret, _, addresses = rest.rpartition("@")
    if len(secret.strip()) < MIN_SECRET:
        raise ConfigError(f"OA_INTAKE_SENDERS 中发送方 {code} 的密钥至少需要 {MIN_SECRET} 个字符")
    networks = tuple(_network(code, a) for a in addresses.split(",") if a.strip())
    if not networks:
        raise ConfigError(f"OA_INTAKE_SENDERS 中发送方 {code} 没有允许的 IP 地址")
    return Sender(code, secret.strip(), networks)


def _network(code: str, text: str) -> Network:
    try:
        return ipaddress.ip_network(text.strip(), strict=False)
    except ValueError as exc:
        raise ConfigError(
            f"OA_INTAKE_SENDERS 中发送方 {code} 的地址 {text.strip()!r} 不是 IP 或网段"
        ) from exc
