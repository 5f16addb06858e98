"""Who called (X-Forwarded-For only from trusted proxies) and how bodies are read."""

from __future__ import annotations

from ipaddress import ip_network
from typing import Any

import pytest

from reportflow.notifier.hooks import HookConfig, HookRejection
from reportflow.notifier.hooks.request import client_address, in_networks, parse_body, parse_ip

PROXIES = [ip_network("10.0.0.0/8"), ip_network("fd00::/8")]


@pytest.mark.parametrize(
    ("peer", "forwarded", "trusted", "expected"),
    [
        ("203.0.113.9", None, PROXIES, "203.0.113.9"),
        # An untrusted peer cannot pick its address with the header.
        ("203.0.113.9", "10.1.1.1", PROXIES, "203.0.113.9"),
        ("10.0.0.2", "198.51.100.7", PROXIES, "198.51.100.7"),
        # Read from the right: the client is the first hop that is not a trusted proxy,
        # whatever the client itself wrote at the left.
        ("10.0.0.2", "1.2.3.4, 198.51.100.7, 10.0.0.3", PROXIES, "198.51.100.7"),
        ("10.0.0.2", "10.0.0.9, 10.0.0.3", PROXIES, "10.0.0.9"),  # all proxies: leftmost
        ("10.0.0.2", "garbage, 10.0.0.3", PROXIES, "10.0.0.3"),  # stop at garbage
        ("10.0.0.2", "198.51.100.7", [], "10.0.0.2"),  # no trusted proxies: header ignored
        ("::ffff:10.0.0.2", "2001:db8::1", PROXIES, "2001:db8::1"),  # mapped IPv4 peer
        ("fd00::1", "192.0.2.1", PROXIES, "192.0.2.1"),
        (None, "192.0.2.1", PROXIES, None),
    ],
)
def test_client_address(
    peer: str | None, forwarded: str | None, trusted: list[Any], expected: str | None
) -> None:
    got = client_address(peer, forwarded, trusted)
    assert (str(got) if got else None) == expected


def test_in_networks() -> None:
    assert in_networks(parse_ip("10.200.0.1"), PROXIES)
    assert not in_networks(parse_ip("11.0.0.1"), PROXIES)
    assert not in_networks(None, PROXIES)


def hook(**fields: Any) -> HookConfig:
    return HookConfig.model_validate({"id": "h", **fields})


@pytest.mark.parametrize(
    ("fields", "content_type", "body", "expected"),
    [
        ({}, "application/json", b'{"a": [1]}', {"a": [1]}),
        ({}, "application/vnd.github+json; charset=utf-8", b"[1]", [1]),
        ({}, "application/x-www-form-urlencoded", b"a=1&b=x+y&e=", {"a": "1", "b": "x y", "e": ""}),
        ({}, "text/plain", b"{not json", None),
        ({}, "", b"", None),
        ({"payload": "json"}, "text/plain", b'{"forced": true}', {"forced": True}),
        (
            {"json_fields": ["payload"]},
            "application/x-www-form-urlencoded",
            b"payload=%7B%22ref%22%3A%22main%22%7D",
            {"payload": {"ref": "main"}},
        ),
    ],
)
def test_parse_body(fields: dict[str, Any], content_type: str, body: bytes, expected: Any) -> None:
    assert parse_body(hook(**fields), content_type, body) == expected


@pytest.mark.parametrize(
    ("fields", "content_type", "body", "message"),
    [
        ({}, "application/json", b"{bad", "malformed JSON body"),
        ({}, "application/json", b"", "malformed JSON body"),
        ({}, "application/json", b"\xff", "malformed JSON body"),
        ({"json_fields": ["p"]}, "application/x-www-form-urlencoded", b"p=%7B", "form field 'p'"),
    ],
)
def test_malformed_bodies_are_400(
    fields: dict[str, Any], content_type: str, body: bytes, message: str
) -> None:
    with pytest.raises(HookRejection, match=message) as caught:
        parse_body(hook(**fields), content_type, body)
    assert caught.value.status_code == 400
