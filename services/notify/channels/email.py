"""E-mail through an SMTP server (plain, STARTTLS or implicit TLS), with smtplib."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage

from services.config import Settings
from services.notify.channels import DeliveryError, OutboundMessage


class SmtpEmailChannel:
    """The ``email`` channel: one SMTP connection per message (the outbox batches are small)."""

    name = "email"
    label = "电子邮件"

    def configured(self, settings: Settings) -> bool:
        """E-mail is on when a host and a sender address are set."""
        return bool(settings.notify_smtp_host and settings.notify_mail_from)

    def address_of(self, email: str | None, mobile: str | None) -> str | None:
        """The user's e-mail address from the user record."""
        return email or None

    def send(self, message: OutboundMessage, settings: Settings) -> None:
        """Send one UTF-8 e-mail; any SMTP or network error becomes ``DeliveryError``."""
        mail = build_mail(message, settings.notify_mail_from)
        try:
            with _connect(settings) as smtp:
                if settings.notify_smtp_security == "starttls":
                    smtp.starttls(context=ssl.create_default_context())
                if settings.notify_smtp_username:
                    smtp.login(settings.notify_smtp_username, settings.notify_smtp_password)
                smtp.send_message(mail)
        except (smtplib.SMTPException, OSError) as exc:
            # The exception text is the server's reply or the socket error: never the password.
            raise DeliveryError(f"邮件发送失败：{type(exc).__name__}: {exc}"[:480]) from exc


def build_mail(message: OutboundMessage, sender: str) -> EmailMessage:
    """The MIME message; non-ASCII subjects are RFC 2047 encoded by the email package."""
    mail = EmailMessage()
    mail["Subject"] = message.subject
    mail["From"] = sender
    mail["To"] = message.address
    mail.set_content(message.body or message.subject, charset="utf-8")
    return mail


def _connect(settings: Settings) -> smtplib.SMTP:
    host, port = settings.notify_smtp_host, settings.notify_smtp_port
    timeout = settings.notify_smtp_timeout_seconds
    if settings.notify_smtp_security == "ssl":
        return smtplib.SMTP_SSL(host, port, timeout=timeout, context=ssl.create_default_context())
    return smtplib.SMTP(host, port, timeout=timeout)
