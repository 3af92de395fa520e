"""Email over SMTP (NHSmail or a local relay)."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from email.policy import default as default_policy  # imported here, not lazily inside each forked job
from email.utils import formatdate

from worker.channels.base import TransportError
from worker.messages import AlertMessage


class SmtpTransport:
    def __init__(
        self,
        *,
        host: str,
        port: int,
        sender: str,
        username: str | None = None,
        password: str | None = None,
        starttls: bool = False,
        timeout: float = 10.0,
    ) -> None:
        self.host = host
        self.port = port
        self.sender = sender
        self.username = username
        self.password = password
        self.starttls = starttls
        self.timeout = timeout

    def build(self, *, address: str, message: AlertMessage) -> EmailMessage:
        mail = EmailMessage(policy=default_policy)
        mail["From"] = self.sender
        mail["To"] = address
        mail["Subject"] = message.subject
        mail["Date"] = formatdate(localtime=False)
        # The same alert always has the same Message-ID, so a re-sent copy threads with (or is
        # de-duplicated against) the first rather than reading as a second attendance.
        domain = self.sender.rpartition("@")[2] or "liaison.local"
        mail["Message-ID"] = f"<liaison-notification-{message.notification_id}@{domain}>"
        mail["X-Liaison-Ref"] = message.young_person_ref
        mail.set_content(message.text)
        return mail

    def send(self, *, address: str, message: AlertMessage) -> None:
        mail = self.build(address=address, message=message)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                if self.starttls:
                    smtp.starttls()
                if self.username and self.password:
                    smtp.login(self.username, self.password)
                smtp.send_message(mail)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            raise TransportError(
                f"recipient refused: {codes}", permanent=all(c >= 500 for c in codes)
            ) from exc
        except smtplib.SMTPResponseException as exc:
            raise TransportError(
                f"SMTP {exc.smtp_code}: {exc.smtp_error!r}", permanent=exc.smtp_code >= 500
            ) from exc
        except (TimeoutError, smtplib.SMTPException, OSError) as exc:
            raise TransportError(f"SMTP server unreachable: {exc}") from exc
