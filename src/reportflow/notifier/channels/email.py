"""Email over SMTP (aiosmtplib): plain, STARTTLS or implicit TLS, optional AUTH."""

from __future__ import annotations

import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

import aiosmtplib

from reportflow.notifier.channels.base import Channel, Notification
from reportflow.notifier.config import EmailChannel as EmailConfig
from reportflow.notifier.errors import DeliveryError


class EmailChannel(Channel[EmailConfig]):
    """A multipart (text + HTML) message to ``to`` and ``cc``."""

    type = "email"

    def build(self, note: Notification) -> EmailMessage:
        cfg = self.config
        msg = EmailMessage()
        msg["Subject"] = note.text("title")
        msg["From"] = cfg.sender
        msg["To"] = ", ".join(cfg.to)
        if cfg.cc:
            msg["Cc"] = ", ".join(cfg.cc)
        msg["Date"] = formatdate(localtime=False)
        msg["Message-ID"] = make_msgid(domain=cfg.sender.rpartition("@")[2] or None)
        msg.set_content(note.text("text"))
        msg.add_alternative(note.text("html"), subtype="html")
        return msg

    def _tls_context(self) -> ssl.SSLContext | None:
        if self.config.security == "none":
            return None
        cafile = str(self.config.ca_file) if self.config.ca_file else None
        return ssl.create_default_context(cafile=cafile)

    async def send(self, note: Notification) -> str | None:
        cfg = self.config
        message = self.build(note)
        try:
            errors, reply = await aiosmtplib.send(
                message,
                hostname=cfg.host,
                port=cfg.port,
                username=cfg.username,
                password=cfg.password,
                use_tls=cfg.security == "tls",
                start_tls=cfg.security == "starttls",
                tls_context=self._tls_context(),
                timeout=cfg.timeout_seconds,
            )
        except aiosmtplib.SMTPAuthenticationError as exc:
            raise DeliveryError(
                f"smtp {cfg.host}:{cfg.port}: authentication failed ({exc.code})", retryable=False
            ) from exc
        except aiosmtplib.SMTPRecipientsRefused as exc:
            refused = ", ".join(r.recipient for r in exc.recipients)
            raise DeliveryError(
                f"smtp {cfg.host}:{cfg.port}: recipients refused: {refused}", retryable=False
            ) from exc
        except aiosmtplib.SMTPResponseException as exc:
            # 4xx is "try again later"; 5xx is permanent.
            raise DeliveryError(
                f"smtp {cfg.host}:{cfg.port}: {exc.code} {exc.message}", retryable=exc.code < 500
            ) from exc
        except (aiosmtplib.SMTPException, OSError, ssl.SSLError) as exc:
            raise DeliveryError(
                f"smtp {cfg.host}:{cfg.port}: {type(exc).__name__}: {exc}", retryable=True
            ) from exc
        if errors:
            partial = ", ".join(sorted(errors))
            return f"{reply.strip()}; refused: {partial}"
        return reply.strip() or None
