"""Teams, Slack, generic HTTP and scale channels against a loopback capture server."""

from __future__ import annotations

import json

import httpx
import pytest
from notifier_helpers import channel, note
from notifier_samples import backlog
from notifier_servers import Capture, closed_url

from reportflow.errors import WebhookVerificationError
from reportflow.notifier import DeliveryError
from reportflow.notifier.config import RetryConfig
from reportflow.notifier.dispatcher import send_with_retries
from reportflow.webhooks.signing import Verifier

pytestmark = pytest.mark.integration
FAST = RetryConfig(attempts=3, backoff_seconds=0.01)


async def test_teams_card_accepted_with_202(capture: Capture) -> None:
    capture.default_status = 202
    async with httpx.AsyncClient() as client:
        teams = channel({"type": "teams", "url": capture.url("teams")}, client)
        detail, attempts = await send_with_retries(teams, note(backlog(2)), FAST)
    assert (detail, attempts) == (None, 1)
    (req,) = capture.on("teams")
    assert req.headers["content-type"] == "application/json"
    message = json.loads(req.body)
    (attachment,) = message["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert attachment["content"]["type"] == "AdaptiveCard"
    assert attachment["content"]["body"][0]["items"][0]["text"].startswith("[FIRING:2]")


async def test_teams_other_2xx_is_not_accepted(capture: Capture) -> None:
    capture.default_status = 204
    async with httpx.AsyncClient() as client:
        teams = channel({"type": "teams", "url": capture.url("teams")}, client)
        with pytest.raises(DeliveryError, match="HTTP 204"):
            await teams.send(note())


async def test_teams_splits_over_28kb(capture: Capture) -> None:
    capture.default_status = 202
    async with httpx.AsyncClient() as client:
        teams = channel({"type": "teams", "url": capture.url("teams")}, client)
        detail = await teams.send(note(backlog(150, description="z" * 300)))
    sent = capture.on("teams")
    assert len(sent) > 1
    assert detail == f"{len(sent)} message(s)"
    assert all(len(r.body) <= 28_000 for r in sent)
    bodies = "".join(r.body.decode() for r in sent)
    assert all(f'Backlog growing on q{i}"' in bodies for i in range(150))


async def test_teams_5xx_is_retried_until_accepted(capture: Capture) -> None:
    capture.script["teams"] = [500, 503]
    capture.default_status = 202
    async with httpx.AsyncClient() as client:
        teams = channel({"type": "teams", "url": capture.url("teams")}, client)
        _, attempts = await send_with_retries(teams, note(), FAST)
    assert attempts == 3
    assert len(capture.on("teams")) == 3


async def test_teams_4xx_is_not_retried(capture: Capture) -> None:
    capture.script["teams"] = [400]
    async with httpx.AsyncClient() as client:
        teams = channel({"type": "teams", "url": capture.url("teams")}, client)
        with pytest.raises(DeliveryError, match="HTTP 400") as info:
            await send_with_retries(teams, note(), FAST)
    assert not info.value.retryable
    assert len(capture.on("teams")) == 1


async def test_unreachable_teams_is_retryable_and_hides_the_url_path() -> None:
    url = closed_url("workflows/secret-signature")
    async with httpx.AsyncClient() as client:
        teams = channel({"type": "teams", "url": url}, client)
        with pytest.raises(DeliveryError) as info:
            await send_with_retries(teams, note(), FAST)
    assert info.value.retryable
    assert "secret-signature" not in str(info.value)


async def test_slack_block_kit(capture: Capture) -> None:
    async with httpx.AsyncClient() as client:
        await channel({"type": "slack", "url": capture.url("slack")}, client).send(note())
    (req,) = capture.on("slack")
    message = json.loads(req.body)
    assert message["text"].startswith("[FIRING:2] BacklogGrowing")
    assert message["blocks"][0]["type"] == "header"


async def test_http_signed_with_template_body(capture: Capture) -> None:
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    spec = {
        "type": "http",
        "url": capture.url("tickets"),
        "method": "PUT",
        "headers": {"x-source": "reportflow"},
        "secret": secret,
        "body": '{"title": {{ title|tojson }}, "n": {{ alerts|length }}}',
    }
    async with httpx.AsyncClient() as client:
        hook = channel(spec, client)
        await hook.send(note(backlog(3)))
        await hook.send(note(backlog(3)))  # a retry of the same notification
    req, retry = capture.on("tickets")
    assert req.method == "PUT"
    assert req.headers["x-source"] == "reportflow"
    assert json.loads(req.body) == {"title": "[FIRING:3] BacklogGrowing (severity=warning)", "n": 3}
    Verifier(secret).verify(req.headers, req.body)  # raises when the signature is wrong
    with pytest.raises(WebhookVerificationError):
        Verifier(secret).verify(req.headers, req.body.replace(b"3", b"4"))
    assert req.headers["webhook-id"].startswith("msg_")
    assert retry.headers["webhook-id"] == req.headers["webhook-id"]


async def test_http_default_body_is_the_payload_unsigned(capture: Capture) -> None:
    async with httpx.AsyncClient() as client:
        await channel({"type": "http", "url": capture.url("raw")}, client).send(note())
    (req,) = capture.on("raw")
    assert "webhook-signature" not in req.headers
    assert json.loads(req.body)["groupKey"] == '{}:{alertname="BacklogGrowing"}'


@pytest.mark.parametrize(
    ("mode", "value", "expected"),
    [("delta", 2, {"delta": 2}), ("delta", -1, {"delta": -1}), ("target", 6, {"target": 6})],
)
async def test_scale_posts_with_bearer(
    capture: Capture, mode: str, value: int, expected: dict[str, int]
) -> None:
    spec = {
        "type": "scale",
        "url": capture.url("scale"),
        "token": "t0k",
        "mode": mode,
        "value": value,
    }
    async with httpx.AsyncClient() as client:
        await channel(spec, client).send(note())
    (req,) = capture.on("scale")
    assert req.headers["authorization"] == "Bearer t0k"
    assert json.loads(req.body) == expected


async def test_scale_can_forward_the_payload(capture: Capture) -> None:
    spec = {"type": "scale", "url": capture.url("scale"), "mode": "payload"}
    async with httpx.AsyncClient() as client:
        await channel(spec, client).send(note())
    (req,) = capture.on("scale")
    assert "authorization" not in req.headers
    assert json.loads(req.body)["version"] == "4"
