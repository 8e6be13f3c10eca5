"""E-mail through Django's mail framework: SMTP with the EMAIL_* settings (or whatever EMAIL_BACKEND
names: console in development, locmem in tests)."""

from __future__ import annotations

import smtplib
from email.utils import make_msgid, parseaddr

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage, get_connection
from django.core.validators import validate_email

from .. import conf
from . import Channel, PermanentError, TransientError, register


@register
class Email(Channel):
    name = "email"

    def check_address(self, to: str) -> None:
        super().check_address(to)
        try:
            validate_email(to)
        except ValidationError:
            raise PermanentError(f"not an e-mail address: {to}") from None

    def send(self, message) -> str:
        self.check_address(message.to)
        domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2]
        message_id = make_msgid(domain=domain or "epicommand.localhost")
        mail = EmailMessage(
            subject=(message.subject or message.kind or "EpiCommand").replace("\n", " ")[:200],
            body=message.body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[message.to],
            headers={"Message-ID": message_id, "X-EpiCommand-Message": str(message.pk)},
            connection=get_connection(timeout=conf.timeout()),
        )
        try:
            mail.send(fail_silently=False)
        except smtplib.SMTPRecipientsRefused as exc:
            raise PermanentError(f"recipient refused: {_codes(exc.recipients)}") from exc
        except smtplib.SMTPResponseException as exc:
            # SMTP's own split: 4xx is "try again later", 5xx is final.
            text = f"SMTP {exc.smtp_code}: {_text(exc.smtp_error)}"
            if 400 <= exc.smtp_code < 500:
                raise TransientError(text) from exc
            raise PermanentError(text) from exc
        except (TimeoutError, smtplib.SMTPException, OSError) as exc:
            # Connection refused or dropped, timeouts, DNS: the server may be back later.
            raise TransientError(f"{type(exc).__name__}: {exc}") from exc
        return message_id


def _text(value) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)


def _codes(recipients: dict) -> str:
    return "; ".join(f"{addr} ({code} {_text(msg)})" for addr, (code, msg) in recipients.items())
