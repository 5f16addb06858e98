"""Artifacts in a local directory: ``<root>/<job id>/<report>.<ext>``.

Renderers write into ``<root>/.staging``; :meth:`LocalArtifactStore.put_file`
hashes the finished file and renames it into place, so a reader sees either
nothing or the whole artifact. Staging shares the root's filesystem, which keeps
the final move a rename; when it does not (a store given a foreign staging
file), the file is copied next to its target first and then renamed.
"""

from __future__ import annotations

import asyncio
import errno
import hashlib
import os
from collections.abc import AsyncIterator
from pathlib import Path

from reportflow.artifacts.base import Artifact, ArtifactStore
from reportflow.artifacts.keys import check_key
from reportflow.errors import ArtifactError

STAGING_DIR = ".staging"
HASH_CHUNK = 1024 * 1024


def _hash_file(path: Path) -> tuple[str, int]:
    # Unbuffered: a buffered reader adds an isatty and a seek, and every system
    # call is a point where a run's thread lets go of the GIL and may wait for
    # the event loop's thread to give it back.
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb", buffering=0) as fh:
        while chunk := fh.read(HASH_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _copy_and_hash(src: Path, dst: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with src.open("rb") as fin, dst.open("wb") as fout:
        while chunk := fin.read(HASH_CHUNK):
            digest.update(chunk)
            size += len(chunk)
            fout.write(chunk)
    return digest.hexdigest(), size


def _move_into_place(src: Path, dst: Path) -> tuple[str, int]:
    """Move ``src`` to ``dst`` atomically, returning its sha256 and size."""
    _make_dir(dst.parent)
    try:
        os.replace(src, dst)  # a rename: the store's own staging shares its filesystem
        return _hash_file(dst)
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            raise
    tmp = dst.with_name(f".{dst.name}.part")
    try:
        sha, size = _copy_and_hash(src, tmp)
        os.replace(tmp, dst)
    finally:
        tmp.unlink(missing_ok=True)
    src.unlink(missing_ok=True)
    return sha, size


def _make_dir(path: Path) -> None:
    """``path.mkdir(parents=True, exist_ok=True)`` in one system call when the
    parent exists (``Path.mkdir`` follows a refused one with a stat)."""
    try:
        os.mkdir(path)
    except FileExistsError:
        pass
    except FileNotFoundError:
        path.mkdir(parents=True, exist_ok=True)


def _remove(path: Path, root: Path) -> None:
    path.unlink(missing_ok=True)
    # Drop the job directory once its last artifact is gone.
    parent = path.parent
    if parent != root and parent.is_dir() and not any(parent.iterdir()):
        parent.rmdir()


class LocalArtifactStore(ArtifactStore):
    """Artifacts as files under ``root``."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root).expanduser().resolve()

    def __repr__(self) -> str:
        return f"LocalArtifactStore({str(self.root)!r})"

    def path_of(self, key: str) -> Path:
        """The file an artifact key maps to (it may not exist)."""
        return self.root.joinpath(*check_key(key).split("/"))

    def staging_dir(self) -> Path:
        staging = self.root / STAGING_DIR
        try:
            staging.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            msg = f"artifact store {self.root}: cannot create staging dir: {exc.strerror}"
            raise ArtifactError(msg) from exc
        return staging

    def check_writable(self) -> None:
        """Raise ArtifactError unless files can be created under the root."""
        probe = self.staging_dir() / f".probe-{os.getpid()}"
        try:
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as exc:
            msg = f"artifact store {self.root} is not writable: {exc.strerror}"
            raise ArtifactError(msg) from exc

    blocking_publish = True

    async def put_file(
        self, key: str, path: Path, *, name: str, format: str, content_type: str, rows: int
    ) -> Artifact:
        return await asyncio.to_thread(
            self.put_file_blocking,
            key,
            path,
            name=name,
            format=format,
            content_type=content_type,
            rows=rows,
        )

    def put_file_blocking(
        self, key: str, path: Path, *, name: str, format: str, content_type: str, rows: int
    ) -> Artifact:
        target = self.path_of(key)
        try:
            sha, size = _move_into_place(Path(path), target)
        except OSError as exc:
            raise ArtifactError(f"artifact {key!r}: cannot store {path}: {exc}") from exc
        return Artifact(
            key=key,
            name=name,
            format=format,
            content_type=content_type,
            size=size,
            rows=rows,
            sha256=sha,
            location=str(target),
        )

    def open(self, key: str, chunk_size: int = 64 * 1024) -> AsyncIterator[bytes]:
        path = self.path_of(key)
        if not path.is_file():
            raise ArtifactError(f"artifact {key!r} not found in {self.root}")
        return self._read(path, chunk_size)

    async def _read(self, path: Path, chunk_size: int) -> AsyncIterator[bytes]:
        fh = await asyncio.to_thread(path.open, "rb")
        try:
            while chunk := await asyncio.to_thread(fh.read, chunk_size):
                yield chunk
        finally:
            fh.close()

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self.delete_blocking, key)

    def delete_blocking(self, key: str) -> None:
        _remove(self.path_of(key), self.root)

    async def exists(self, key: str) -> bool:
        return await asyncio.to_thread(self.path_of(key).is_file)
