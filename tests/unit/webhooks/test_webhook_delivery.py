"""WebhookClient's request and classification, over an in-process HTTP transport."""

from __future__ import annotations

import json
from pathlib import PurePosixPath

import httpx
import pytest

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
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200)

    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as http:
        client = WebhookClient("http://requestor/hooks/runner", secret, http=http, name="req")
        attempt = await client.send("msg_1", {"type": "report.started", "when": 1.5})
        await client.aclose()  # a shared client is left open
        assert not http.is_closed
    assert (attempt.outcome, attempt.endpoint, attempt.msg_id) == (
        Outcome.DELIVERED,
        "req",
        "msg_1",
    )
    [request] = seen
    assert request.method == "POST"
    assert json.loads(request.content) == {"type": "report.started", "when": 1.5}
    Verifier(secret).verify(request.headers, request.content)


async def test_a_redirect_is_not_followed_and_names_the_target() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(302, headers={"location": "http://elsewhere/"})

    async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as http:
        attempt = await WebhookClient("http://r/h", "k", http=http).send("m", {})
    assert attempt.outcome is Outcome.RETRY
    assert attempt.error == "HTTP 302 from http://r/h -> http://elsewhere/"


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
