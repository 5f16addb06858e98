"""Artifact keys: ``<job id>/<report>.<ext>``, relative, no traversal."""

from __future__ import annotations

import re

from reportflow.errors import ArtifactError

_SEGMENT = re.compile(r"^[A-Za-z0-9._-]+$")


def check_key(key: str) -> str:
    """Return ``key`` when it is a safe relative key, else raise ArtifactError."""
    parts = key.split("/")
    if not key or any(p in {"", ".", ".."} or not _SEGMENT.match(p) for p in parts):
        raise ArtifactError(f"invalid artifact key {key!r}")
    if parts[0].startswith("."):
        raise ArtifactError(f"invalid artifact key {key!r}: may not start with a dot")
    return key


def artifact_key(job_id: str, filename: str) -> str:
    """The key of a job's output file."""
    return check_key(f"{job_id}/{filename}")
