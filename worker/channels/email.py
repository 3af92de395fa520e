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
        keep_connection: bool = False,
    ) -> None:
        self.host = host
        self.port = port
        self.sender = sender
        self.username = username
        self.password = password
        self.starttls = starttls
        self.timeout = timeout
        # Kept between sends (a long-lived worker): the connect, STARTTLS and login are paid once, not
        # for every alert. Checked with NOOP before each reuse; dropped after any error, and renewed
        # after MESSAGES_PER_CONNECTION messages (relays cap a session).
        self.keep_connection = keep_connection
        self._kept: smtplib.SMTP | None = None
        self._sent_on_kept = 0

    def build(self, *, address: str, message: AlertMessage) -> EmailMessage:
        mail = EmailMessage(policy=default_policy)
        mail["From"] = self.sender
        mail["To"] = address
        mail["Subject"] = message.subject
        mail["Date"] = formatdate(localtime=False)
        # The same alert always has the same Message-ID, so a re-sent copy threads with (or is
        # de-duplicated against) the first rather than reading as a second attendance.
        domain = self.sender.rpartition("@")[2] or "liaison.local"
        mail["Message-ID"] = (
            message.message_id or f"<liaison-notification-{message.notification_id}@{domain}>"
        )
        if message.young_person_ref:  # a sign-in link is about nobody
            mail["X-Liaison-Ref"] = message.young_person_ref
        mail.set_content(message.text)
        return mail

    def send(self, *, address: str, message: AlertMessage) -> None:
        mail = self.build(address=address, message=message)
        try:
            smtp = self._connection()
            try:
                smtp.send_message(mail)
            except BaseException:
                # No QUIT after a failure: `with smtplib.SMTP()` would send one and wait for its answer, so
                # a send interrupted by the job's timeout would then hang on a stuck relay for up to
                # SMTP_TIMEOUT_SECONDS more, and its answer could replace the timeout as the error.
                self._kept = None
                smtp.close()
                raise
            self._after_sent(smtp)
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

    def _connection(self) -> smtplib.SMTP:
        """The kept session if the relay still answers NOOP, else a new one (connected, secured, logged in).
        Nothing has been sent on a session NOOP finds dead, so opening another cannot send an alert twice."""
        kept, self._kept = self._kept, None
        if kept is not None:
            try:
                alive = kept.noop()[0] == 250
            except (smtplib.SMTPException, OSError):
                alive = False
            except BaseException:  # the job's timeout
                kept.close()
                raise
            if alive:
                return kept
            kept.close()
        self._sent_on_kept = 0
        smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        try:
            if self.starttls:
                smtp.starttls()
            if self.username and self.password:
                smtp.login(self.username, self.password)
        except BaseException:
            smtp.close()
            raise
        return smtp

    def _after_sent(self, smtp: smtplib.SMTP) -> None:
        self._sent_on_kept += 1
        if self.keep_connection and self._sent_on_kept < MESSAGES_PER_CONNECTION:
            self._kept = smtp
            return
        _quit_quietly(smtp)


MESSAGES_PER_CONNECTION = 50


def _quit_quietly(smtp: smtplib.SMTP) -> None:
    """Say QUIT after a sent message; the relay has accepted it already, so nothing here may fail it."""
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        pass
    finally:
        smtp.close()
