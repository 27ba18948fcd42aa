"""``email``: one message per notification over SMTP (aiosmtplib; plain, STARTTLS or TLS)."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import make_msgid

import aiosmtplib
from email_validator import EmailNotValidError, validate_email

from nightwatch_notify.channels.base import (
    DeliveryError,
    OutgoingNotification,
    PermanentDeliveryError,
)


def build_message(notification: OutgoingNotification, *, sender: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = notification.recipient
    # Header values must be one line: a newline would be a header-injection attempt.
    message["Subject"] = " ".join(notification.subject.split()) or "Nightwatch notification"
    message["Message-ID"] = make_msgid(idstring=str(notification.id))
    message["X-Nightwatch-Notification-Id"] = str(notification.id)
    if notification.incident_id:
        message["X-Nightwatch-Incident-Id"] = str(notification.incident_id)
    message.set_content(notification.message)
    return message


class EmailChannel:
    name = "email"

    def __init__(
        self,
        *,
        host: str,
        port: int,
        sender: str,
        security: str,
        timeout: float,
        username: str | None = None,
        password: str | None = None,
    ) -> None:
        self._host = host
        self._port = port
        self._sender = sender
        self._security = security
        self._timeout = timeout
        self._username = username
        self._password = password

    def check_recipient(self, recipient: str) -> str:
        try:
            return validate_email(recipient, check_deliverability=False).normalized
        except EmailNotValidError as exc:
            raise ValueError(f"not a valid email address: {exc}") from None

    def display_recipient(self, recipient: str) -> str:
        return recipient

    async def send(self, notification: OutgoingNotification) -> None:
        message = build_message(notification, sender=self._sender)
        try:
            await aiosmtplib.send(
                message,
                hostname=self._host,
                port=self._port,
                username=self._username,
                password=self._password,
                use_tls=self._security == "tls",
                start_tls=self._security == "starttls",
                timeout=self._timeout,
            )
        except aiosmtplib.SMTPRecipientsRefused:
            raise PermanentDeliveryError("SMTP server refused the recipient") from None
        except aiosmtplib.SMTPResponseException as exc:
            reason = f"SMTP server answered {exc.code}"
            if 500 <= exc.code < 600 and exc.code not in (530, 535):
                raise PermanentDeliveryError(reason) from None
            raise DeliveryError(reason) from None
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise DeliveryError(f"SMTP delivery failed: {type(exc).__name__}") from None
