"""HTTP JSON sources against a real server on loopback."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pyarrow.parquet as pq
import pytest

from reportflow.artifacts import LocalArtifactStore
from reportflow.catalog.model import OutputFormat, ReportDefinition, Source
from reportflow.config import Settings
from reportflow.errors import SourceError
from reportflow.etl import run_report

pytestmark = pytest.mark.integration


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        query = parse_qs(parts.query)
        if parts.path == "/api/readings":
            limit = int(query["limit"][0])
            machines = query.get("machine", [])
            body = {
                "data": {
                    "items": [
                        {"machine": m, "n": i, "temp": 20.5 + i, "at": f"2024-01-0{1 + i % 9}"}
                        for i in range(limit)
                        for m in machines
                    ]
                }
            }
            payload = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        else:
            self.send_error(404)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def api() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/api"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


async def test_http_json_records(api: str, tmp_path: Path) -> None:
    store = LocalArtifactStore(tmp_path)
    definition = ReportDefinition(
        name="readings",
        source=Source(connection="api", query="/readings", records="data.items"),
        formats=[OutputFormat.PARQUET],
    )
    result = await run_report(
        definition,
        {"limit": 5, "machine": ["M1", "M2"]},
        settings=Settings(connections={"api": api}),
        store=store,
        job_id="j",
    )
    table = pq.read_table(store.path_of("j/readings.parquet"))
    assert result.rows == 10
    assert table.column("machine").to_pylist()[:2] == ["M1", "M2"]
    assert table.column("temp").to_pylist()[-1] == 24.5


@pytest.mark.parametrize(
    ("path", "records", "message"),
    [
        ("/missing", None, r"HTTP 404 from GET http://127\.0\.0\.1:\d+/api/missing"),
        ("/readings", "data.nope", "records path 'data.nope' not found at 'nope'"),
        ("/readings", "data", "records path 'data' is not a list"),
    ],
)
async def test_http_errors_are_one_line(
    api: str, tmp_path: Path, path: str, records: str | None, message: str
) -> None:
    definition = ReportDefinition(
        name="r", source=Source(connection="api", query=path, records=records)
    )
    with pytest.raises(SourceError, match=message):
        await run_report(
            definition,
            {"limit": 1},
            settings=Settings(connections={"api": api}),
            store=LocalArtifactStore(tmp_path),
            job_id="j",
        )


async def test_unreachable_http_source(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    definition = ReportDefinition(name="r", source=Source(connection="api", query="/x"))
    with pytest.raises(
        SourceError, match=r"connection 'api': GET http://127\.0\.0\.1:\d+/x failed"
    ):
        await run_report(
            definition,
            {},
            settings=Settings(connections={"api": f"http://127.0.0.1:{port}"}),
            store=LocalArtifactStore(tmp_path),
            job_id="j",
        )
