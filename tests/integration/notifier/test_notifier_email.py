"""Email to a real SMTP server (aiosmtpd) on loopback: plain, STARTTLS + AUTH, implicit TLS."""

from __future__ import annotations

import email
from email.message import EmailMessage
from email.policy import default as default_policy
from typing import Any

import httpx
import pytest
from notifier_helpers import channel, note
from notifier_samples import backlog
from notifier_servers import TlsFiles, check_login, free_port, smtp_server

from reportflow.notifier import DeliveryError
from reportflow.notifier.config import RetryConfig
from reportflow.notifier.dispatcher import send_with_retries

pytestmark = pytest.mark.integration


def mail_spec(port: int, **extra: Any) -> dict[str, Any]:
    return {
        "type": "email",
        "host": "127.0.0.1",
        "port": port,
        "security": "none",
        "from": "reportflow <alerts@example.org>",
        "to": ["ops@example.org", "lead@example.org"],
        "cc": ["audit@example.org"],
        "timeout_seconds": 5,
        **extra,
    }


def parse(raw: bytes) -> EmailMessage:
    message = email.message_from_bytes(raw, policy=default_policy)
    assert isinstance(message, EmailMessage)
    return message


async def test_plain_smtp_multipart_message() -> None:
    with smtp_server() as (port, box):
        async with httpx.AsyncClient() as client:
            await channel(mail_spec(port), client).send(note(backlog(2)))
    (mail,) = box.messages
    assert mail.mail_from == "alerts@example.org"
    assert sorted(mail.rcpt_tos) == ["audit@example.org", "lead@example.org", "ops@example.org"]
    msg = parse(mail.content)
    assert msg["Subject"] == "[FIRING:2] BacklogGrowing (severity=warning)"
    assert msg["To"] == "ops@example.org, lead@example.org"
    assert msg["Cc"] == "audit@example.org"
    text = msg.get_body(("plain",))
    html = msg.get_body(("html",))
    assert text is not None
    assert html is not None
    assert "Backlog growing on q1" in text.get_content()
    assert '<a href="https://runbooks.example.org/backlog">Runbook</a>' in html.get_content()
    assert not mail.tls


async def test_starttls_with_auth(tls_files: TlsFiles) -> None:
    kwargs = {
        "tls_context": tls_files.server_context(),
        "require_starttls": True,
        "authenticator": check_login,
        "auth_require_tls": True,
    }
    spec = mail_spec(
        0,
        security="starttls",
        ca_file=str(tls_files.cert),
        username="alerts",
        password="smtp-pass",
    )
    with smtp_server(**kwargs) as (port, box):
        spec["port"] = port
        async with httpx.AsyncClient() as client:
            await channel(spec, client).send(note(backlog(1, severity="critical")))
            spec["password"] = "wrong"
            with pytest.raises(DeliveryError, match="authentication failed") as info:
                await channel(spec, client).send(note())
    assert not info.value.retryable
    (mail,) = box.messages
    assert mail.tls
    assert mail.login == b"alerts"
    assert parse(mail.content)["Subject"] == "[FIRING:1] BacklogGrowing (severity=critical)"


async def test_implicit_tls(tls_files: TlsFiles) -> None:
    with smtp_server(ssl_context=tls_files.server_context()) as (port, box):
        spec = mail_spec(port, security="tls", ca_file=str(tls_files.cert))
        async with httpx.AsyncClient() as client:
            await channel(spec, client).send(note())
    assert [m.tls for m in box.messages] == [True]


async def test_untrusted_certificate_is_refused(tls_files: TlsFiles) -> None:
    with smtp_server(ssl_context=tls_files.server_context()) as (port, box):
        spec = mail_spec(port, security="tls")  # system CAs do not know the test cert
        async with httpx.AsyncClient() as client:
            with pytest.raises(DeliveryError, match="CERTIFICATE_VERIFY_FAILED"):
                await channel(spec, client).send(note())
    assert box.messages == []


async def test_unreachable_smtp_is_retried_then_fails() -> None:
    spec = mail_spec(free_port())
    retry = RetryConfig(attempts=3, backoff_seconds=0.01)
    async with httpx.AsyncClient() as client:
        with pytest.raises(DeliveryError) as info:
            await send_with_retries(channel(spec, client), note(), retry)
    assert info.value.retryable
    assert "attempts=3" in info.value.__notes__
    assert f"smtp 127.0.0.1:{spec['port']}" in str(info.value)
