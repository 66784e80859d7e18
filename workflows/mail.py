"""Mail backends: SendGrid's v3 API, a folder of ``.eml`` files, or an SMTP relay.

Each turns one claimed outbox row into one ``SendResult``, and says honestly whether the mail
may have left: a timeout or a dropped connection *after* the request went out is ``UNCERTAIN``
(the provider may have taken it), a refused connection or an HTTP 429/5xx is ``RETRY`` (it
surely did not), any other 4xx is ``FAILED`` with the provider's own words.
"""

from __future__ import annotations

import email.policy
import email.utils
import http.client
import json
import logging
import os
import smtplib
import tempfile
import urllib.error
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Protocol

from python_http_client.exceptions import HTTPError
from sendgrid import SendGridAPIClient
from sendgrid.helpers.mail import Category, CustomArg, From, Header, Mail, ReplyTo, To

from engine.delivery import Outcome, Outgoing, SendResult
from engine.settings import Settings

logger = logging.getLogger(__name__)

#: The custom arg SendGrid echoes in every Event Webhook event of the mail.
OUTBOX_ID_ARG = "tanggap_outbox_id"


class MailBackend(Protocol):
    def describe(self) -> str: ...

    def send(self, mail: Outgoing) -> SendResult: ...


def build_backend(settings: Settings) -> MailBackend:
    kind = settings.resolved_mail_backend
    if kind == "sendgrid":
        return SendGridBackend(settings)
    if kind == "smtp":
        return SmtpBackend(settings)
    return EmlFolderBackend(settings)


def _retry_after(headers: Any) -> float | None:
    value = headers.get("Retry-After") if headers is not None else None
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max((moment - datetime.now(UTC)).total_seconds(), 0.0)


def _provider_words(body: bytes | str | None) -> str:
    """SendGrid explains a 4xx as {"errors": [{"message", "field"}]}; keep its words."""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else (body or "")
    try:
        errors = json.loads(text)["errors"]
        return "; ".join(
            f"{e.get('field') + ': ' if e.get('field') else ''}{e.get('message', '')}"
            for e in errors
        )
    except (ValueError, KeyError, TypeError, AttributeError):
        return text[:500]


class SendGridBackend:
    """v3 ``mail/send`` through the official library, with a timeout (it has none by default)."""

    def __init__(self, settings: Settings) -> None:
        if settings.sendgrid_api_key is None:
            raise ValueError("the SendGrid backend needs TANGGAP_SENDGRID_API_KEY")
        self.base_url = settings.sendgrid_base_url.rstrip("/")
        self.client = SendGridAPIClient(
            settings.sendgrid_api_key.get_secret_value(), host=self.base_url
        )
        self.client.client.timeout = settings.sendgrid_timeout_seconds
        self.sender = From(settings.mail_from, settings.mail_from_name)
        self.reply_to = settings.mail_reply_to
        self.templates = settings.sendgrid_template_ids

    def describe(self) -> str:
        return f"SendGrid v3 API at {self.base_url}"

    def message(self, mail: Outgoing) -> Mail:
        template = self.templates.get(mail.kind)
        if template:
            message = Mail(from_email=self.sender, to_emails=To(mail.recipient))
            message.template_id = template
            message.dynamic_template_data = {
                "subject": mail.subject,
                "text": mail.text,
                "html": mail.html or "",
                "ticket": mail.ticket_code or "",
                "language": mail.language,
            }
        else:
            message = Mail(
                from_email=self.sender,
                to_emails=To(mail.recipient),
                subject=mail.subject,
                plain_text_content=mail.text,
                html_content=mail.html,
            )
        if self.reply_to:
            message.reply_to = ReplyTo(self.reply_to)
        message.custom_arg = CustomArg(OUTBOX_ID_ARG, str(mail.id))  # values must be strings
        message.category = Category(mail.kind)
        for name, value in mail.list_headers().items():
            message.header = Header(name, value)
        return message

    def send(self, mail: Outgoing) -> SendResult:
        try:
            message = self.message(mail)
        except (ValueError, KeyError, TypeError) as exc:
            # The library refuses to build it (an address it cannot parse): never sendable.
            return SendResult(Outcome.FAILED, error=f"cannot build the message: {exc!r}")
        try:
            response = self.client.send(message)
        except HTTPError as exc:
            status = int(exc.status_code)
            words = f"HTTP {status}: {_provider_words(exc.body)}"
            if status == 429 or status >= 500:
                return SendResult(Outcome.RETRY, error=words, retry_after=_retry_after(exc.headers))
            return SendResult(Outcome.FAILED, error=words)
        except urllib.error.URLError as exc:
            # urllib wraps failures to connect or to send the request: nothing was taken.
            return SendResult(Outcome.RETRY, error=f"connection failed: {exc.reason}")
        except (OSError, http.client.HTTPException) as exc:
            # Timeout, reset or disconnect while waiting for the answer: the request was out.
            return SendResult(Outcome.UNCERTAIN, error=f"no answer: {exc!r}")
        message_id = response.headers.get("X-Message-Id") if response.headers else None
        return SendResult(Outcome.SENT, provider_id=message_id)


#: Python's folder breaks a header before an encoded word with the space left on the first line
#: and another at the fold ("(100%) \n =?utf-8?b?4oCU?="), so mail clients read a subject with a
#: dash as "(100%)  — ...". RFC 5322 allows 998 characters a line: our subjects (300 at most)
#: are not folded at all, and any longer header folds between encoded words, where no space is
#: read.
_POLICY = email.policy.default.clone(max_line_length=998)


def email_message(mail: Outgoing, *, sender: str, reply_to: str | None) -> EmailMessage:
    message = EmailMessage(policy=_POLICY)
    message["From"] = sender
    message["To"] = mail.recipient
    message["Subject"] = mail.subject
    message["Date"] = email.utils.formatdate(usegmt=True)
    message["Message-ID"] = f"<outbox-{mail.identity}@tanggap>"
    message["X-Tanggap-Outbox-Id"] = str(mail.id)
    if reply_to:
        message["Reply-To"] = reply_to
    for name, value in mail.list_headers().items():
        message[name] = value
    message.set_content(mail.text)
    if mail.html:
        message.add_alternative(mail.html, subtype="html")
    return message


class EmlFolderBackend:
    """One ``<queued>-<outbox id>-<digest>.eml`` file per row: the default with no provider
    configured.

    The name is the mail's ``identity``: unique across databases and rebuilds used from one
    folder (each numbers its rows from 1), sorted in queueing order. A file is never replaced:
    the mail is written to a private temporary file and linked to its name, which fails when the
    name is taken. Taken means this very mail was written already (the name is derived from its
    row, time and words), so sending a row twice (after a crash) leaves exactly one file.
    """

    def __init__(self, settings: Settings) -> None:
        self.folder = Path(settings.mail_dir).resolve()
        self.sender = email.utils.formataddr((settings.mail_from_name, settings.mail_from))
        self.reply_to = settings.mail_reply_to

    def describe(self) -> str:
        return f".eml files in {self.folder} (no TANGGAP_SENDGRID_API_KEY set: nothing is mailed)"

    def send(self, mail: Outgoing) -> SendResult:
        message = email_message(mail, sender=self.sender, reply_to=self.reply_to)
        target = self.folder / f"{mail.identity}.eml"
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            _write_new(target, bytes(message))
        except FileExistsError:
            logger.info("%s was written already: not written again", target.name)
        except OSError as exc:
            return SendResult(Outcome.RETRY, error=f"cannot write {target}: {exc}")
        return SendResult(Outcome.SENT, provider_id=target.name)


def _write_new(target: Path, data: bytes) -> None:
    """Write ``data`` as ``target`` whole, or raise ``FileExistsError`` and leave it as it was.

    A hidden temporary file (opened exclusively, under a random name) is linked to the target
    name: the link is atomic and never replaces a file. Where the file system has no hard links,
    the target is created exclusively (``O_EXCL``) and written in place."""
    handle, partial = tempfile.mkstemp(dir=target.parent, prefix=f".{target.stem}.", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        try:
            os.link(partial, target)
        except FileExistsError:
            raise
        except OSError:
            with target.open("xb") as out:
                out.write(data)
    finally:
        os.unlink(partial)


def _text(value: bytes | str) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else value


class SmtpBackend:
    """A city's own relay, or SendGrid's (smtp.sendgrid.net:587, user ``apikey``)."""

    def __init__(self, settings: Settings) -> None:
        self.host, self.port = settings.smtp_host, settings.smtp_port
        self.username = settings.smtp_username
        self.password = settings.smtp_password
        self.starttls = settings.smtp_starttls
        self.timeout = settings.smtp_timeout_seconds
        self.sender = email.utils.formataddr((settings.mail_from_name, settings.mail_from))
        self.reply_to = settings.mail_reply_to

    def describe(self) -> str:
        return f"SMTP relay {self.host}:{self.port}"

    def send(self, mail: Outgoing) -> SendResult:
        message = email_message(mail, sender=self.sender, reply_to=self.reply_to)
        try:
            smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        except (OSError, smtplib.SMTPException) as exc:
            return SendResult(Outcome.RETRY, error=f"cannot reach {self.host}:{self.port}: {exc}")
        handed_over = False  # a failure before DATA cannot have delivered anything
        try:
            with smtp:
                if self.starttls:
                    smtp.starttls()
                if self.username and self.password:
                    smtp.login(self.username, self.password.get_secret_value())
                handed_over = True
                smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            words = "; ".join(f"{c} {_text(m)}" for c, m in exc.recipients.values())
            transient = all(400 <= code < 500 for code in codes)
            return SendResult(Outcome.RETRY if transient else Outcome.FAILED, error=words)
        except smtplib.SMTPResponseException as exc:
            words = f"{exc.smtp_code} {_text(exc.smtp_error)}"
            transient = 400 <= exc.smtp_code < 500
            return SendResult(Outcome.RETRY if transient else Outcome.FAILED, error=words)
        except (OSError, smtplib.SMTPException) as exc:
            outcome = Outcome.UNCERTAIN if handed_over else Outcome.RETRY
            return SendResult(outcome, error=f"SMTP: {exc!r}")
        return SendResult(Outcome.SENT, provider_id=message["Message-ID"])
