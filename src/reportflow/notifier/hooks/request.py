"""One hook call as rules, signatures and templates see it; and who really sent it.

The client address is the TCP peer, unless the peer is a trusted proxy: then
``X-Forwarded-For`` is read from the right, skipping trusted proxies, and the
first address that is not one is the client. A caller that is not a trusted
proxy cannot choose its address by sending the header.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv6Address, ip_address
from typing import Any
from urllib.parse import parse_qsl

from reportflow.notifier.hooks.config import HookConfig, Network
from reportflow.notifier.hooks.errors import HookRejection
from reportflow.notifier.hooks.rules import Source, as_text, find_path

IPAddress = IPv4Address | IPv6Address


def parse_ip(text: str | None) -> IPAddress | None:
    """An address, with IPv4-mapped IPv6 (``::ffff:10.0.0.1``) folded to IPv4."""
    if not text:
        return None
    try:
        addr = ip_address(text.strip())
    except ValueError:
        return None
    if isinstance(addr, IPv6Address) and addr.ipv4_mapped is not None:
        return addr.ipv4_mapped
    return addr


def in_networks(addr: IPAddress | None, networks: Sequence[Network]) -> bool:
    return addr is not None and any(addr in net for net in networks)


def client_address(
    peer: str | None, forwarded_for: str | None, trusted: Sequence[Network]
) -> IPAddress | None:
    """The caller's address, believing ``X-Forwarded-For`` only from trusted proxies."""
    addr = parse_ip(peer)
    if not trusted or not forwarded_for or not in_networks(addr, trusted):
        return addr
    for hop in reversed(forwarded_for.split(",")):
        hop_addr = parse_ip(hop)
        if hop_addr is None:
            # Garbage in the chain: the last trusted hop is all that is known.
            return addr
        addr = hop_addr
        if not in_networks(addr, trusted):
            return addr
    return addr  # every hop is a trusted proxy: the leftmost one made the call


def parse_body(hook: HookConfig, content_type: str, body: bytes) -> Any:
    """The payload: JSON, form fields (first value of each) or None for plain text.

    Raises:
        HookRejection: 400 for a body that does not parse as the hook expects.
    """
    kind = hook.payload
    mime = content_type.split(";", 1)[0].strip().lower()
    if kind == "auto":
        if mime == "application/json" or mime.endswith("+json"):
            kind = "json"
        elif mime == "application/x-www-form-urlencoded":
            kind = "form"
        else:
            kind = "text"
    if kind == "text" or (not body and kind != "json"):
        return None
    if kind == "json":
        try:
            return json.loads(body)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise _bad(f"malformed JSON body: {exc}") from exc
    try:
        form: dict[str, Any] = dict(parse_qsl(body.decode(), keep_blank_values=True))
    except (UnicodeDecodeError, ValueError) as exc:
        raise _bad(f"malformed form body: {exc}") from exc
    for name in hook.json_fields:
        if name in form:
            try:
                form[name] = json.loads(form[name])
            except json.JSONDecodeError as exc:
                raise _bad(f"form field {name!r} is not JSON: {exc}") from exc
    return form


def _bad(reason: str) -> HookRejection:
    return HookRejection(reason, status_code=400, outcome="invalid")


@dataclass(slots=True)
class HookRequest:
    """The parts of a call that rules, signatures and templates read."""

    hook: str
    method: str
    headers: Mapping[str, str]
    """Lower-case names (as Starlette gives them)."""
    query: Mapping[str, str]
    body: bytes
    payload: Any
    client_ip: str | None
    _context: dict[str, Any] | None = field(default=None, repr=False)

    def lookup(self, source: Source, name: str) -> str | None:
        if source == "header":
            return self.headers.get(name.lower())
        if source == "query":
            return self.query.get(name)
        return as_text(find_path(self.payload, name))

    def context(self) -> dict[str, Any]:
        """What templates see (built once per call, only when a template needs it)."""
        if self._context is None:
            self._context = {
                "hook": self.hook,
                "method": self.method,
                "headers": dict(self.headers),
                "query": dict(self.query),
                "payload": self.payload,
                "body": self.body.decode("utf-8", "replace"),
                "client_ip": self.client_ip or "",
            }
        return self._context
