"""SMS through an HTTP gateway: ``POST`` JSON ``{phone, text, sign}`` with an API key header.

``SmsSender`` is the seam for a carrier's own API: an adapter implements ``send_sms`` and is
plugged in with ``SmsChannel(sender_factory=...)`` and ``register_channel``.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Protocol

from services.config import Settings
from services.notify.channels import DeliveryError, OutboundMessage

API_KEY_HEADER = "X-Api-Key"
# One SMS page is 70 Chinese characters; gateways split longer texts, we keep it short.
MAX_TEXT = 300


class SmsSender(Protocol):
    """Sends one text message to one mobile number or raises ``DeliveryError``."""

    def send_sms(self, phone: str, text: str) -> None:
        """Deliver ``text`` to ``phone``."""
        ...


class HttpGatewaySmsSender:
    """The generic HTTP gateway protocol: any 2xx answer means accepted."""

    def __init__(self, url: str, api_key: str, sign: str, timeout: int) -> None:
        self._url, self._api_key, self._sign, self._timeout = url, api_key, sign, timeout

    def __repr__(self) -> str:  # the API key stays out of logs
        return f"HttpGatewaySmsSender({self._url!r})"

    def send_sms(self, phone: str, text: str) -> None:
        """POST the message to the gateway; non-2xx or network errors raise ``DeliveryError``."""
        payload = json.dumps({"phone": phone, "text": text, "sign": self._sign}, ensure_ascii=False)
        if not self._url.startswith(("http://", "https://")):
            raise DeliveryError("短信网关地址应以 http:// 或 https:// 开头")
        request = urllib.request.Request(  # noqa: S310 (scheme checked above)
            self._url,
            data=payload.encode("utf-8"),
            method="POST",
            headers={
                "Content-Type": "application/json; charset=utf-8",
                API_KEY_HEADER: self._api_key,
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self._timeout) as response:  # noqa: S310
                response.read()
        except urllib.error.HTTPError as exc:
            raise DeliveryError(f"短信网关返回 HTTP {exc.code}") from exc
        except (urllib.error.URLError, OSError) as exc:
            raise DeliveryError(f"短信网关连接失败：{exc}"[:480]) from exc


def gateway_sender(settings: Settings) -> SmsSender:
    """The HTTP gateway sender configured by ``notify_sms_*`` settings."""
    return HttpGatewaySmsSender(
        settings.notify_sms_gateway_url,
        settings.notify_sms_api_key,
        settings.notify_sms_sign,
        settings.notify_sms_timeout_seconds,
    )


class SmsChannel:
    """The ``sms`` channel: the text is the subject, then the body, cut to ``MAX_TEXT``."""

    name = "sms"
    label = "短信"

    def __init__(self, sender_factory: Callable[[Settings], SmsSender] = gateway_sender) -> None:
        self._sender_factory = sender_factory

    def configured(self, settings: Settings) -> bool:
        """SMS is on when a gateway URL is set."""
        return bool(settings.notify_sms_gateway_url)

    def address_of(self, email: str | None, mobile: str | None) -> str | None:
        """The user's mobile number from the user record."""
        return mobile or None

    def send(self, message: OutboundMessage, settings: Settings) -> None:
        """Send the message as one text through the configured sender."""
        text = f"{message.subject}：{message.body}" if message.body else message.subject
        self._sender_factory(settings).send_sms(message.address, text[:MAX_TEXT])
