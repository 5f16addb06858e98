"""Shared fixtures: real services, skipped on a laptop without them, required in CI."""

from __future__ import annotations

import gc
import os
import socket
import sys
import uuid
from collections.abc import Iterator

import pytest

# Helpers shared by unit and integration tests (harnesses, fake peers).
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "support"))

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
PG_HOST = os.environ.get("REPORTFLOW_TEST_PG_HOST", "127.0.0.1")
PG_PORT = int(os.environ.get("REPORTFLOW_TEST_PG_PORT", "5432"))
MY_HOST = os.environ.get("REPORTFLOW_TEST_MYSQL_HOST", "127.0.0.1")
MY_PORT = int(os.environ.get("REPORTFLOW_TEST_MYSQL_PORT", "3306"))
REDIS_PORT = int(os.environ.get("REPORTFLOW_TEST_REDIS_PORT", "6379"))


@pytest.fixture(autouse=True)
def restore_switch_interval() -> Iterator[None]:
    """Undo ``tune_switch_interval`` (process-wide) after every test that serves a runner."""
    interval = sys.getswitchinterval()
    yield
    sys.setswitchinterval(interval)


@pytest.fixture
def restore_gc() -> Iterator[None]:
    """Undo ``reportflow.heap.tune_gc`` (a frozen heap, another threshold) after the test."""
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def require_service(name: str, host: str, port: int) -> None:
    """Skip when the service is missing, unless in CI, where that is a failure."""
    if _reachable(host, port):
        return
    message = f"{name} is not reachable at {host}:{port}"
    if IN_CI:
        pytest.fail(f"{message} (CI=true requires it)")
    pytest.skip(message)


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test (dropped afterwards)."""
    require_service("PostgreSQL", PG_HOST, PG_PORT)
    import psycopg

    name = f"rf_test_{uuid.uuid4().hex[:12]}"
    admin = f"postgresql://postgres@{PG_HOST}:{PG_PORT}/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql://postgres@{PG_HOST}:{PG_PORT}/{name}"
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def mariadb_url() -> Iterator[str]:
    """A fresh, empty MariaDB database for one test (dropped afterwards)."""
    require_service("MariaDB", MY_HOST, MY_PORT)
    import pymysql

    name = f"rf_test_{uuid.uuid4().hex[:12]}"
    conn = pymysql.connect(host=MY_HOST, port=MY_PORT, user="root", password="")
    try:
        with conn.cursor() as cur:
            cur.execute(f"CREATE DATABASE `{name}`")
        yield f"mysql+pymysql://root@{MY_HOST}:{MY_PORT}/{name}"
    finally:
        with conn.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
        conn.close()


@pytest.fixture
def redis_url() -> str:
    require_service("Redis", "127.0.0.1", REDIS_PORT)
    return f"redis://127.0.0.1:{REDIS_PORT}/15"
