"""Choose an artifact store by URL: a local path, ``file://``, ``memory://``."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

from reportflow.artifacts.base import ArtifactStore
from reportflow.errors import ArtifactError


def open_store(url: str | Path) -> ArtifactStore:
    """The artifact store at ``url``.

    A plain path or ``file://`` URL gives a :class:`LocalArtifactStore`;
    ``memory://`` an in-memory store for tests. ``s3://`` is reserved for the
    S3 store and rejected until it exists.
    """
    text = str(url)
    if not text:
        raise ArtifactError("artifact store URL is empty")
    scheme = urlsplit(text).scheme.lower() if "://" in text else ""
    if scheme in {"", "file"}:
        from reportflow.artifacts.local import LocalArtifactStore

        path = unquote(urlsplit(text).path) if scheme == "file" else text
        return LocalArtifactStore(path)
    if scheme == "memory":
        from reportflow.artifacts.memory import MemoryArtifactStore

        return MemoryArtifactStore()
    if scheme == "s3":
        raise ArtifactError(f"artifact store {text!r}: S3 storage is not yet supported")
    raise ArtifactError(
        f"artifact store {text!r}: unknown scheme {scheme!r} (use a path or file://)"
    )
