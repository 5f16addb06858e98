from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from reportflow.artifacts import (
    LocalArtifactStore,
    MemoryArtifactStore,
    artifact_key,
    open_store,
)
from reportflow.errors import ArtifactError


async def _collect(store: LocalArtifactStore | MemoryArtifactStore, key: str) -> bytes:
    return b"".join([chunk async for chunk in store.open(key, chunk_size=7)])


async def test_put_moves_the_file_and_hashes_it(tmp_path: Path) -> None:
    store = LocalArtifactStore(tmp_path / "root")
    staged = store.staging_dir() / "x.part"
    payload = b"a,b\n1,2\n" * 100
    staged.write_bytes(payload)

    artifact = await store.put_file(
        "job1/report.csv",
        staged,
        name="report.csv",
        format="csv",
        content_type="text/csv",
        rows=200,
    )

    assert not staged.exists()
    assert artifact.sha256 == hashlib.sha256(payload).hexdigest()
    assert artifact.size == len(payload)
    assert Path(artifact.location) == tmp_path / "root" / "job1" / "report.csv"
    assert await store.exists("job1/report.csv")
    assert await _collect(store, "job1/report.csv") == payload


async def test_delete_removes_artifact_and_empty_job_dir(tmp_path: Path) -> None:
    store = LocalArtifactStore(tmp_path)
    staged = store.staging_dir() / "y.part"
    staged.write_bytes(b"x")
    await store.put_file("j/a.csv", staged, name="a.csv", format="csv", content_type="t", rows=1)

    await store.delete("j/a.csv")
    await store.delete("j/a.csv")  # already gone: no error

    assert not await store.exists("j/a.csv")
    assert not (tmp_path / "j").exists()


async def test_open_missing_artifact_is_an_error(tmp_path: Path) -> None:
    store = LocalArtifactStore(tmp_path)
    with pytest.raises(ArtifactError, match=r"'nope/x\.csv' not found"):
        store.open("nope/x.csv")


@pytest.mark.parametrize("key", ["", "../etc/passwd", "/abs/x", "a//b", ".staging/x", "a/./b"])
def test_bad_keys_are_rejected(tmp_path: Path, key: str) -> None:
    store = LocalArtifactStore(tmp_path)
    with pytest.raises(ArtifactError, match="invalid artifact key"):
        store.path_of(key)


def test_artifact_key_joins_job_and_file() -> None:
    assert artifact_key("abc123", "trial_balance.csv") == "abc123/trial_balance.csv"


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write anywhere")
def test_unwritable_root_is_reported(tmp_path: Path) -> None:
    root = tmp_path / "ro"
    root.mkdir()
    root.chmod(0o500)
    with pytest.raises(ArtifactError, match="ro"):
        LocalArtifactStore(root).check_writable()


def test_root_under_a_file_is_reported(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(ArtifactError, match="cannot create staging dir"):
        LocalArtifactStore(blocker / "sub").check_writable()


def test_open_store_by_url(tmp_path: Path) -> None:
    local = open_store(str(tmp_path))
    assert isinstance(local, LocalArtifactStore)
    assert local.root == tmp_path.resolve()
    from_url = open_store(f"file://{tmp_path}")
    assert isinstance(from_url, LocalArtifactStore)
    assert from_url.root == tmp_path.resolve()
    assert isinstance(open_store("memory://"), MemoryArtifactStore)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("s3://bucket/prefix", "not yet supported"),
        ("ftp://x/y", "unknown scheme 'ftp'"),
        ("", "empty"),
    ],
)
def test_open_store_rejects_unsupported_urls(url: str, message: str) -> None:
    with pytest.raises(ArtifactError, match=message):
        open_store(url)


async def test_memory_store_round_trip() -> None:
    store = MemoryArtifactStore()
    try:
        staged = store.staging_dir() / "m.part"
        staged.write_bytes(b"hello world")
        artifact = await store.put_file(
            "j/m.json", staged, name="m.json", format="json", content_type="x", rows=1
        )
        assert artifact.size == 11
        assert not staged.exists()
        assert await _collect(store, "j/m.json") == b"hello world"
        await store.delete("j/m.json")
        assert not await store.exists("j/m.json")
    finally:
        store.close()


def test_a_staged_file_on_another_filesystem_is_copied_into_place(tmp_path: Path) -> None:
    shm = Path("/dev/shm")
    if not shm.is_dir() or shm.stat().st_dev == tmp_path.stat().st_dev:
        pytest.skip("needs /dev/shm on a filesystem of its own")
    store = LocalArtifactStore(tmp_path / "root")
    payload = os.urandom(3 * 1024 * 1024 + 17)  # several hash chunks and a partial one
    staged = shm / f"reportflow-test-{os.getpid()}.part"
    staged.write_bytes(payload)
    try:
        artifact = store.put_file_blocking(
            "job2/big.bin", staged, name="big.bin", format="csv", content_type="t", rows=1
        )
    finally:
        staged.unlink(missing_ok=True)
    assert artifact.sha256 == hashlib.sha256(payload).hexdigest()
    assert artifact.size == len(payload)
    assert (tmp_path / "root" / "job2" / "big.bin").read_bytes() == payload
    assert sorted(p.name for p in (tmp_path / "root" / "job2").iterdir()) == ["big.bin"]
    assert not staged.exists()


def test_a_job_directory_that_is_a_file_is_a_clear_error(tmp_path: Path) -> None:
    store = LocalArtifactStore(tmp_path)
    (tmp_path / "job3").write_bytes(b"in the way")
    staged = store.staging_dir() / "z.part"
    staged.write_bytes(b"x")
    with pytest.raises(ArtifactError, match=r"'job3/a\.csv': cannot store"):
        store.put_file_blocking(
            "job3/a.csv", staged, name="a.csv", format="csv", content_type="t", rows=1
        )
    assert staged.exists()  # nothing lost: the staged file stays for the caller to clean up
