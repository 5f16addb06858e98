"""Every refusal over real HTTP: 404, 405, 401, 403 (address, signature, rule), 413, 400, 429."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from hooks_helpers import Notifier, running_notifier

from reportflow.metrics import exposition

pytestmark = pytest.mark.integration

HOOKS = """
trusted_proxies: [127.0.0.1/32]
body_limit_bytes: 2048
hooks:
  - id: open
    methods: [POST, GET]
    response: {body: "hello {{ payload.name }} from {{ client_ip }}", headers: {X-Hook: open}}
  - id: github
    signature: {preset: github, secrets: [new-secret, old-secret]}
    rule:
      and:
        - match: {source: header, name: X-GitHub-Event, value: push}
        - match: {source: payload, name: ref, regex: "^refs/heads/"}
    response: {status: 202, body: "deploying {{ payload.ref }}"}
  - id: pinged
    rule: {match: {source: query, name: token, value: "t0k"}}
    response: {mismatch_status: 200, body: "yes"}
  - id: office
    allow_ips: [10.20.0.0/16, "2001:db8::/32"]
    response: {body: "in"}
  - id: tight
    body_limit_bytes: 16
  - id: secured
    auth: {bearer_token: s3cret}
"""


@pytest.fixture
async def notifier(tmp_path: Path) -> AsyncIterator[Notifier]:
    async with running_notifier(tmp_path, HOOKS) as n:
        yield n


def github_headers(body: bytes, secret: str = "old-secret", event: str = "push") -> dict[str, str]:
    mac = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return {
        "X-Hub-Signature-256": f"sha256={mac}",
        "X-GitHub-Event": event,
        "Content-Type": "application/json",
    }


async def test_static_hook_renders_its_response(notifier: Notifier) -> None:
    response = await notifier.post("open", json={"name": "plant"})
    assert response.status_code == 200
    assert response.text == "hello plant from 127.0.0.1"
    assert response.headers["x-hook"] == "open"
    assert (await notifier.client.get(f"{notifier.base}/hooks/open")).status_code == 200


async def test_unknown_hook_is_404_and_recorded(notifier: Notifier) -> None:
    response = await notifier.post("nope")
    assert response.status_code == 404
    assert response.json() == {"detail": "unknown hook 'nope'"}
    calls = await notifier.calls(outcome="unknown")
    assert [c["hook"] for c in calls] == ["nope"]
    assert 'reportflow_hook_calls_total{hook="_unknown",outcome="unknown"}' in exposition().decode()


async def test_method_not_allowed_is_405_with_allow(notifier: Notifier) -> None:
    response = await notifier.client.get(f"{notifier.base}/hooks/github")
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"


async def test_github_signature_with_either_secret(notifier: Notifier) -> None:
    body = b'{"ref": "refs/heads/main"}'
    for secret in ("new-secret", "old-secret"):
        response = await notifier.post("github", content=body, headers=github_headers(body, secret))
        assert response.status_code == 202, response.text
        assert response.text == "deploying refs/heads/main"


async def test_bad_signature_is_403(notifier: Notifier) -> None:
    body = b'{"ref": "refs/heads/main"}'
    response = await notifier.post(
        "github", content=body, headers=github_headers(body, "wrong-secret")
    )
    assert response.status_code == 403
    assert response.json() == {"detail": "bad signature"}
    unsigned = await notifier.post("github", content=body)
    assert unsigned.status_code == 403


async def test_rule_not_satisfied_is_403_without_details(notifier: Notifier) -> None:
    body = b'{"ref": "refs/tags/v1"}'
    response = await notifier.post("github", content=body, headers=github_headers(body))
    assert response.status_code == 403
    assert response.json() == {"detail": "forbidden"}  # which condition failed stays here
    calls = await notifier.calls(hook="github")
    assert calls[0]["error"] == "trigger rule not satisfied"
    assert calls[0]["outcome"] == "rejected"


async def test_rule_mismatch_status_is_configurable(notifier: Notifier) -> None:
    assert (await notifier.post("pinged", params={"token": "no"})).status_code == 200
    ok = await notifier.post("pinged", params={"token": "t0k"})
    assert ok.text == "yes"


async def test_malformed_json_is_400(notifier: Notifier) -> None:
    body = b'{"ref": '
    response = await notifier.post("github", content=body, headers=github_headers(body))
    assert response.status_code == 400
    assert response.json()["detail"].startswith("malformed JSON body")


async def test_body_too_large_is_413(notifier: Notifier) -> None:
    response = await notifier.post("tight", content=b"x" * 17)
    assert response.status_code == 413
    assert "exceeds 16 bytes" in response.json()["detail"]
    # The file-wide limit applies to hooks without their own.
    assert (await notifier.post("open", content=b"x" * 4096)).status_code == 413

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: caught while reading
        for _ in range(4):
            yield b"x" * 1024

    assert (await notifier.post("open", content=chunks())).status_code == 413


async def test_credentials(notifier: Notifier) -> None:
    missing = await notifier.post("secured")
    assert missing.status_code == 401
    assert "Bearer" in missing.headers["www-authenticate"]
    wrong = await notifier.post("secured", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    ok = await notifier.post("secured", headers={"Authorization": "Bearer s3cret"})
    assert ok.status_code == 200


async def test_ip_allowlist_believes_forwarded_for_from_trusted_proxy(notifier: Notifier) -> None:
    # The test client's peer (127.0.0.1) is a trusted proxy here, so the header counts.
    assert (await notifier.post("office")).status_code == 403
    inside = await notifier.post("office", headers={"X-Forwarded-For": "10.20.3.4"})
    assert inside.status_code == 200
    v6 = await notifier.post("office", headers={"X-Forwarded-For": "2001:db8::7, 127.0.0.1"})
    assert v6.status_code == 200
    outside = await notifier.post("office", headers={"X-Forwarded-For": "10.21.0.1"})
    assert outside.status_code == 403
    assert outside.json() == {"detail": "forbidden"}
    calls = await notifier.calls(hook="office", outcome="rejected")
    assert calls[0]["client_ip"] == "10.21.0.1"
    assert calls[0]["error"] == "address 10.21.0.1 not allowed"


async def test_forwarded_for_from_an_untrusted_peer_is_ignored(tmp_path: Path) -> None:
    hooks = "hooks:\n  - id: office\n    allow_ips: [10.20.0.0/16]\n"
    async with running_notifier(tmp_path, hooks) as n:
        spoofed = await n.post("office", headers={"X-Forwarded-For": "10.20.3.4"})
        assert spoofed.status_code == 403
        assert (await n.calls())[0]["client_ip"] == "127.0.0.1"


async def test_history_api_needs_the_notifier_credentials(tmp_path: Path) -> None:
    notifier_yaml = {"auth": {"bearer_token": "admin"}}
    async with running_notifier(tmp_path, HOOKS, notifier_yaml) as n:
        await n.post("open")
        url = f"{n.base}/api/v1/hooks/calls"
        assert (await n.client.get(url)).status_code == 401
        ok = await n.client.get(url, headers={"Authorization": "Bearer admin"})
        assert ok.json()["items"][0]["hook"] == "open"
        listed = await n.client.get(
            f"{n.base}/api/v1/hooks", headers={"Authorization": "Bearer admin"}
        )
        assert [h["id"] for h in listed.json()["hooks"]][:2] == ["open", "github"]


async def test_an_unexpected_error_is_a_logged_500_and_the_next_call_works(
    notifier: Notifier, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    service = notifier.app.state.hooks
    check = service._check
    calls = 0

    async def broken(*args: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("boom")
        return await check(*args)

    monkeypatch.setattr(service, "_check", broken)
    response = await notifier.post("open", json={"name": "x"})
    assert response.status_code == 500
    assert response.text == "Internal Server Error"
    assert "hook open: unexpected error" in caplog.text
    assert (await notifier.post("open", json={"name": "y"})).text == "hello y from 127.0.0.1"


async def test_a_client_gone_mid_body_is_no_error_and_the_server_goes_on(
    notifier: Notifier, caplog: pytest.LogCaptureFixture
) -> None:
    host, port = notifier.base.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(
        b"POST /hooks/open HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b'Content-Length: 1000\r\n\r\n{"name": '
    )
    await writer.drain()
    await asyncio.sleep(0.1)
    writer.close()
    await writer.wait_closed()
    assert await reader.read() == b""  # no answer
    assert (await notifier.post("open", json={"name": "z"})).text == "hello z from 127.0.0.1"
    assert "unexpected error" not in caplog.text


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("POST", "/hooks/open/extra", 404),  # not a hook path: the app's own 404
        ("POST", "/hooks/", 404),
        ("HEAD", "/hooks/open", 405),  # a method hooks never take: the app's 405
        ("POST", "/hooks/alertmanager", 422),  # the Alertmanager receiver's path stays its
    ],
)
async def test_paths_that_are_not_hook_calls_go_through_the_app(
    notifier: Notifier, method: str, path: str, status: int
) -> None:
    response = await notifier.client.request(method, notifier.base + path, json={"name": "x"})
    assert response.status_code == status
