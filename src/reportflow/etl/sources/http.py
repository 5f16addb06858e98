"""HTTP JSON sources: ``GET <base URL><source.query>?<params>``.

The response is a JSON document; ``source.records`` is a dotted path to the
list of row objects inside it (empty: the document itself is the list). The
document is parsed whole (JSON has no cheap streaming parse), then turned into
batches; page through large APIs with several reports or a Python function.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator, Mapping
from typing import Any

import httpx
import pyarrow as pa

from reportflow.errors import SourceError
from reportflow.etl.batches import RowBatcher, chunked, one_line, peek_reader
from reportflow.etl.control import RunControl

HTTP_TIMEOUT_SECONDS = 30.0


def _query_value(value: Any) -> Any:
    if isinstance(value, datetime.date | datetime.datetime):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return [_query_value(v) for v in value]
    return value


def _join(base: str, path: str | None) -> str:
    if not path:
        return base
    return base.rstrip("/") + "/" + path.lstrip("/")


def _dig(document: Any, dotted: str | None, name: str) -> list[Any]:
    node = document
    for part in (dotted or "").split(".") if dotted else []:
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            raise SourceError(f"connection {name!r}: records path {dotted!r} not found at {part!r}")
    if not isinstance(node, list):
        where = f"records path {dotted!r}" if dotted else "the response"
        raise SourceError(f"connection {name!r}: {where} is not a list of records")
    return node


def fetch_records(
    name: str, url: str, path: str | None, records: str | None, params: Mapping[str, Any]
) -> list[Any]:
    target = _join(url, path)
    query = {k: _query_value(v) for k, v in params.items() if v is not None}
    try:
        with httpx.Client(timeout=HTTP_TIMEOUT_SECONDS, follow_redirects=True) as client:
            response = client.get(target, params=query)
            response.raise_for_status()
            document = response.json()
    except httpx.HTTPStatusError as exc:
        code = exc.response.status_code
        raise SourceError(f"connection {name!r}: HTTP {code} from GET {target}") from exc
    except httpx.HTTPError as exc:
        raise SourceError(f"connection {name!r}: GET {target} failed: {one_line(exc)}") from exc
    except ValueError as exc:
        raise SourceError(f"connection {name!r}: GET {target} did not return JSON") from exc
    return _dig(document, records, name)


def read_http(
    name: str,
    url: str,
    path: str | None,
    records: str | None,
    params: Mapping[str, Any],
    control: RunControl,
) -> pa.RecordBatchReader:
    rows = fetch_records(name, url, path, records, params)
    if rows and not all(isinstance(r, dict) for r in rows):
        raise SourceError(f"connection {name!r}: records must be JSON objects")
    batcher = RowBatcher(None, what=f"connection {name!r}")
    total = len(rows) or 1

    def batches() -> Iterator[pa.RecordBatch]:
        done = 0
        for chunk in chunked(rows):
            control.check()
            done += len(chunk)
            control.percent = 100.0 * done / total
            yield batcher.from_dicts(chunk)

    return peek_reader(batches(), pa.schema([]))
