"""Loopback servers for the notifier's channels: an HTTP capture server and SMTP."""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import socket
import ssl
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvicorn
from starlette.requests import Request
from starlette.responses import Response

WAIT = 10.0


@dataclass
class Captured:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Capture:
    """Records every request; answers from a per-path script of status codes."""

    base: str = ""
    requests: list[Captured] = field(default_factory=list)
    script: dict[str, list[int]] = field(default_factory=dict)
    default_status: int = 200
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    def url(self, path: str) -> str:
        return f"{self.base}/{path.lstrip('/')}"

    def on(self, path: str) -> list[Captured]:
        return [r for r in self.requests if r.path == "/" + path.lstrip("/")]

    async def handle(self, request: Request) -> Response:
        body = await request.body()
        self.requests.append(
            Captured(request.method, request.url.path, dict(request.headers), body)
        )
        self.arrived.set()
        statuses = self.script.get(request.url.path.lstrip("/"))
        status = statuses.pop(0) if statuses else self.default_status
        return Response(b"1" if status < 300 else b"nope", status_code=status)


@asynccontextmanager
async def serve(app: Any) -> AsyncIterator[str]:
    """Run an ASGI app with uvicorn on a free loopback port, in this event loop."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(app, lifespan="on", log_level="warning", ws="none", access_log=False)
    )
    # Listening before uvicorn starts lets clients connect at once (they wait in the backlog).
    sock.listen(128)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
        sock.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def closed_url(path: str = "hook") -> str:
    """A loopback URL where nothing listens (connection refused)."""
    return f"http://127.0.0.1:{free_port()}/{path}"


@dataclass
class TlsFiles:
    cert: Path
    key: Path

    def server_context(self) -> ssl.SSLContext:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(self.cert, self.key)
        return ctx


def make_tls_files(folder: Path) -> TlsFiles:
    """A self-signed certificate for 127.0.0.1, made here so no key is checked in."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "reportflow-test-smtp")])
    now = dt.datetime.now(dt.UTC)
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(ski, critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), critical=False
        )
        .sign(key, hashes.SHA256())
    )
    files = TlsFiles(folder / "cert.pem", folder / "key.pem")
    files.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    files.key.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return files


@dataclass
class Mail:
    mail_from: str
    rcpt_tos: list[str]
    content: bytes
    tls: bool
    login: bytes | None


class MailBox:
    """An aiosmtpd handler that keeps every message it accepts."""

    def __init__(self) -> None:
        self.messages: list[Mail] = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        login = session.auth_data.login if session.authenticated else None
        mail = Mail(
            envelope.mail_from,
            list(envelope.rcpt_tos),
            envelope.original_content,
            # STARTTLS sets session.ssl; implicit TLS shows on the transport.
            session.ssl is not None or server.transport.get_extra_info("ssl_object") is not None,
            login,
        )
        with self._lock:
            self.messages.append(mail)
        return "250 Message accepted for delivery"


@contextmanager
def smtp_server(**smtp_kwargs: Any) -> Iterator[tuple[int, MailBox]]:
    """aiosmtpd on a free loopback port (its own thread and loop)."""
    from aiosmtpd.controller import Controller

    box = MailBox()
    port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port, **smtp_kwargs)
    controller.start()
    try:
        yield port, box
    finally:
        controller.stop()


def check_login(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
    """Accepts ``alerts`` / ``smtp-pass`` only."""
    from aiosmtpd.smtp import AuthResult, LoginPassword

    ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
        b"alerts",
        b"smtp-pass",
    )
    # handled=False: aiosmtpd answers the refusal itself (535).
    return AuthResult(success=ok, handled=False, auth_data=data if ok else None)
