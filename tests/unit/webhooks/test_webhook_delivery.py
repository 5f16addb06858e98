"""WebhookClient's request and classification, against a scripted endpoint on loopback."""

from __future__ import annotations

import json
from pathlib import PurePosixPath

import aiohttp
import pytest
from scripted_endpoint import Seen, scripted_endpoint

from reportflow.errors import WebhookError
from reportflow.webhooks import Outcome, Verifier, WebhookClient, classify, encode_payload


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        (200, Outcome.DELIVERED),
        (202, Outcome.DELIVERED),
        (204, Outcome.DELIVERED),
        (301, Outcome.RETRY),
        (400, Outcome.FAILED),
        (401, Outcome.FAILED),
        (404, Outcome.FAILED),
        (413, Outcome.FAILED),
        (408, Outcome.RETRY),
        (409, Outcome.RETRY),
        (425, Outcome.RETRY),
        (429, Outcome.RETRY),
        (410, Outcome.GONE),
        (500, Outcome.RETRY),
        (503, Outcome.RETRY),
    ],
)
def test_classify(status: int, outcome: Outcome) -> None:
    assert classify(status) is outcome


async def test_the_request_is_signed_json() -> None:
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    async with scripted_endpoint(lambda _: 200) as endpoint, aiohttp.ClientSession() as http:
        client = WebhookClient(endpoint.url, secret, http=http, name="req")
        attempt = await client.send("msg_1", {"type": "report.started", "when": 1.5})
        await client.aclose()  # a shared session is left open
        assert not http.closed
        seen = endpoint.requests
    assert (attempt.outcome, attempt.endpoint, attempt.msg_id) == (
        Outcome.DELIVERED,
        "req",
        "msg_1",
    )
    [request] = seen
    assert (request.method, request.path) == ("POST", "/hooks")
    assert request.headers["content-type"] == "application/json"
    assert json.loads(request.body) == {"type": "report.started", "when": 1.5}
    Verifier(secret).verify(request.headers, request.body)


async def test_a_redirect_is_not_followed_and_names_the_target() -> None:
    def answer(_: Seen) -> tuple[int, dict[str, str]]:
        return 302, {"location": "http://elsewhere/"}

    async with scripted_endpoint(answer) as endpoint:
        async with WebhookClient(endpoint.url, "k") as client:
            attempt = await client.send("m", {})
        assert len(endpoint.requests) == 1  # not followed
    assert attempt.outcome is Outcome.RETRY
    assert attempt.error == f"HTTP 302 from {endpoint.url} -> http://elsewhere/"


def test_encode_payload_is_compact_utf8_and_tolerates_odd_values() -> None:
    body = encode_payload({"a": "é", "path": PurePosixPath("/out/x.csv"), "n": None})
    assert body == '{"a":"é","path":"/out/x.csv","n":null}'.encode()


@pytest.mark.parametrize(
    ("url", "secret", "timeout", "message"),
    [
        ("ftp://x", "k", 1.0, "is not http:// or https://"),
        ("http://x", "k", 0.0, "timeout 0.0 s"),
        ("http://x", "whsec_%%%", 1.0, "not base64"),
    ],
)
def test_bad_client_configuration_is_named(
    url: str, secret: str, timeout: float, message: str
) -> None:
    with pytest.raises(WebhookError, match=message):
        WebhookClient(url, secret, timeout=timeout)
