"""Signatures: GitHub-style HMAC (sha1/256/512, hex/base64), Stripe, GitLab tokens, rotation."""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any

import pytest

from reportflow.notifier.hooks import HooksConfigError, SignatureConfig, parse_hooks, sign, verify

BODY = b'{"ref":"refs/heads/main"}'
NOW = 1_795_000_000


def config(**fields: Any) -> SignatureConfig:
    return SignatureConfig.model_validate({"secrets": ["new-secret", "old-secret"], **fields})


def github_header(secret: str, algorithm: str = "sha256") -> str:
    digest = hmac.new(secret.encode(), BODY, getattr(hashlib, algorithm)).hexdigest()
    return f"{algorithm}={digest}"


@pytest.mark.parametrize("secret", ["new-secret", "old-secret"])
def test_github_preset_accepts_every_configured_secret(secret: str) -> None:
    cfg = config(preset="github")
    assert verify(cfg, {"x-hub-signature-256": github_header(secret)}, BODY, NOW)


def test_github_preset_rejects_other_secret_other_body_and_missing_header() -> None:
    cfg = config(preset="github")
    good = github_header("new-secret")
    assert not verify(cfg, {"x-hub-signature-256": github_header("guess")}, BODY, NOW)
    assert not verify(cfg, {"x-hub-signature-256": good}, BODY + b" ", NOW)
    assert not verify(cfg, {}, BODY, NOW)
    # The prefix is required: a bare digest is not a GitHub signature.
    assert not verify(cfg, {"x-hub-signature-256": good.removeprefix("sha256=")}, BODY, NOW)


def test_several_signatures_in_one_header_and_uppercase_hex() -> None:
    cfg = config(preset="github")
    value = f"sha256=deadbeef,{github_header('old-secret').upper().replace('SHA256=', 'sha256=')}"
    assert verify(cfg, {"x-hub-signature-256": value}, BODY, NOW)


@pytest.mark.parametrize("algorithm", ["sha1", "sha512"])
def test_other_algorithms(algorithm: str) -> None:
    cfg = config(header="X-Sig", prefix=f"{algorithm}=", algorithm=algorithm)
    assert verify(cfg, {"x-sig": github_header("new-secret", algorithm)}, BODY, NOW)
    assert not verify(cfg, {"x-sig": github_header("new-secret", "sha256")}, BODY, NOW)


def test_base64_encoding_without_prefix() -> None:
    cfg = config(header="X-Shopify-Hmac-Sha256", encoding="base64")
    mac = base64.b64encode(hmac.new(b"old-secret", BODY, hashlib.sha256).digest()).decode()
    assert verify(cfg, {"x-shopify-hmac-sha256": mac}, BODY, NOW)
    assert sign(cfg, BODY, secret="old-secret") == mac


def test_stripe_signs_timestamp_and_body_within_tolerance() -> None:
    cfg = config(preset="stripe", tolerance_seconds=300)
    mac = hmac.new(b"old-secret", f"{NOW}.".encode() + BODY, hashlib.sha256).hexdigest()
    header = f"t={NOW},v1={mac},v0=ignored"
    assert verify(cfg, {"stripe-signature": header}, BODY, NOW + 299)
    assert not verify(cfg, {"stripe-signature": header}, BODY, NOW + 301)  # replayed later
    assert not verify(cfg, {"stripe-signature": f"v1={mac}"}, BODY, NOW)  # no timestamp
    assert not verify(cfg, {"stripe-signature": f"t={NOW + 1},v1={mac}"}, BODY, NOW)


def test_gitlab_token_compares_the_header_with_each_secret() -> None:
    cfg = config(preset="gitlab")
    assert verify(cfg, {"x-gitlab-token": "old-secret"}, BODY, NOW)
    assert not verify(cfg, {"x-gitlab-token": "old-secret2"}, BODY, NOW)


@pytest.mark.parametrize("preset", ["github", "github-sha1", "gitlab", "stripe"])
def test_sign_round_trips(preset: str) -> None:
    cfg = config(preset=preset)
    header = sign(cfg, BODY, secret="old-secret", now=NOW)
    assert verify(cfg, {cfg.header.lower(): header}, BODY, NOW)


def test_secret_files_are_read(tmp_path: Any) -> None:
    path = tmp_path / "secret"
    path.write_text("from-file\n")
    cfg = SignatureConfig.model_validate({"preset": "gitlab", "secret_files": [str(path)]})
    assert cfg.secrets == ["from-file"]


@pytest.mark.parametrize(
    ("signature", "message"),
    [
        ({"preset": "github"}, "hooks\\[h\\].signature: needs at least one non-empty secret"),
        ({"secrets": ["s"], "algorithm": "md5"}, "hooks\\[h\\].signature.algorithm"),
        (
            {"secret_files": ["/nonexistent/secret"]},
            "cannot read secret file '/nonexistent/secret'",
        ),
    ],
)
def test_bad_signature_config(signature: dict[str, Any], message: str) -> None:
    with pytest.raises(HooksConfigError, match=message):
        parse_hooks({"hooks": [{"id": "h", "signature": signature}]})
