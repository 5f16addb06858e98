"""Artifacts kept in memory: the store's twin for tests.

Staging still needs real files (renderers write to disk), so a temporary
directory holds them until :meth:`MemoryArtifactStore.put_file` reads them in.
"""

from __future__ import annotations

import asyncio
import hashlib
import shutil
import tempfile
import weakref
from collections.abc import AsyncIterator
from pathlib import Path

from reportflow.artifacts.base import Artifact, ArtifactStore
from reportflow.artifacts.keys import check_key
from reportflow.errors import ArtifactError


def _take(path: Path) -> bytes:
    data = path.read_bytes()
    path.unlink()
    return data


class MemoryArtifactStore(ArtifactStore):
    """Artifacts as bytes in a dict, keyed like every other store."""

    def __init__(self) -> None:
        self._staging = Path(tempfile.mkdtemp(prefix="reportflow-staging-"))
        # Removed when the store is closed or garbage-collected, quietly.
        self._cleanup = weakref.finalize(self, shutil.rmtree, self._staging, True)
        self.blobs: dict[str, bytes] = {}

    def staging_dir(self) -> Path:
        return self._staging

    async def put_file(
        self, key: str, path: Path, *, name: str, format: str, content_type: str, rows: int
    ) -> Artifact:
        check_key(key)
        try:
            data = await asyncio.to_thread(_take, Path(path))
        except OSError as exc:
            raise ArtifactError(f"artifact {key!r}: cannot read {path}: {exc}") from exc
        self.blobs[key] = data
        return Artifact(
            key=key,
            name=name,
            format=format,
            content_type=content_type,
            size=len(data),
            rows=rows,
            sha256=hashlib.sha256(data).hexdigest(),
            location=f"memory://{key}",
        )

    def open(self, key: str, chunk_size: int = 64 * 1024) -> AsyncIterator[bytes]:
        if key not in self.blobs:
            raise ArtifactError(f"artifact {key!r} not found in memory store")
        return self._read(self.blobs[key], chunk_size)

    @staticmethod
    async def _read(data: bytes, chunk_size: int) -> AsyncIterator[bytes]:
        for start in range(0, len(data), chunk_size):
            yield data[start : start + chunk_size]

    async def delete(self, key: str) -> None:
        self.blobs.pop(key, None)

    async def exists(self, key: str) -> bool:
        return key in self.blobs

    def close(self) -> None:
        """Remove the staging directory."""
        self._cleanup()
