"""The artifact store contract: where finished outputs live.

Renderers write to a local staging file; :meth:`ArtifactStore.put_file`
moves it into the store under its key in one step (rename locally, upload
then commit on S3), so a reader never sees a half-written artifact.
"""

from __future__ import annotations

import abc
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path


@dataclass(slots=True, frozen=True)
class Artifact:
    """One finished output."""

    key: str
    """Store key, e.g. ``<job id>/trial_balance.csv``."""
    name: str
    """File name shown to people, e.g. ``trial_balance.csv``."""
    format: str
    content_type: str
    size: int
    rows: int
    sha256: str
    location: str
    """Where it is: a local path or an ``s3://`` URL."""

    def to_dict(self) -> dict[str, object]:
        return {
            "key": self.key,
            "name": self.name,
            "format": self.format,
            "content_type": self.content_type,
            "size": self.size,
            "rows": self.rows,
            "sha256": self.sha256,
            "location": self.location,
        }


class ArtifactStore(abc.ABC):
    """Stores finished artifacts by key.

    A store whose publication is plain blocking file work (the local one)
    sets ``blocking_publish`` and implements :meth:`put_file_blocking` and
    :meth:`delete_blocking`: the ETL then publishes from the thread that
    rendered the files, instead of going back to the event loop and out to a
    worker thread again for every file.
    """

    blocking_publish: bool = False

    @abc.abstractmethod
    def staging_dir(self) -> Path:
        """A local directory for files being written (same filesystem as the
        store where possible, so the final move is a rename)."""

    @abc.abstractmethod
    async def put_file(
        self, key: str, path: Path, *, name: str, format: str, content_type: str, rows: int
    ) -> Artifact:
        """Move a complete staging file into the store; computes size and sha256."""

    @abc.abstractmethod
    def open(self, key: str, chunk_size: int = 64 * 1024) -> AsyncIterator[bytes]:
        """Stream an artifact's bytes. Raises ArtifactError when missing."""

    @abc.abstractmethod
    async def delete(self, key: str) -> None:
        """Remove an artifact; no error when it is already gone."""

    @abc.abstractmethod
    async def exists(self, key: str) -> bool: ...

    def put_file_blocking(
        self, key: str, path: Path, *, name: str, format: str, content_type: str, rows: int
    ) -> Artifact:
        """:meth:`put_file`, blocking the calling (worker) thread; see ``blocking_publish``."""
        raise NotImplementedError(f"{type(self).__name__} publishes on the event loop only")

    def delete_blocking(self, key: str) -> None:
        """:meth:`delete`, blocking the calling (worker) thread; see ``blocking_publish``."""
        raise NotImplementedError(f"{type(self).__name__} deletes on the event loop only")
