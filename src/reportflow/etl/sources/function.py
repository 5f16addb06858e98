"""Python-function reports: ``definition.function`` called with the parameters.

The function may be sync (called in the run's worker thread) or async (awaited
on the event loop); it may return or yield dicts (rows), Arrow record batches
or Arrow tables, or return a ``RecordBatchReader``. Async generators are pulled
one item at a time from the loop, so they stream like sync generators do.
"""

from __future__ import annotations

import inspect
import itertools
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping
from typing import Any, TypeVar

import pyarrow as pa

from reportflow.errors import ReportflowError, SourceError
from reportflow.etl.batches import BATCH_ROWS, RowBatcher, chunked, one_line, peek_reader
from reportflow.etl.control import RunCancelled, RunControl

_END = object()
T = TypeVar("T")


def _accepted(fn: Callable[..., Any], params: Mapping[str, Any]) -> dict[str, Any]:
    """The parameters ``fn`` takes (all of them when it has ``**kwargs``)."""
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return dict(params)
    if any(p.kind is p.VAR_KEYWORD for p in sig.parameters.values()):
        return dict(params)
    return {k: v for k, v in params.items() if k in sig.parameters}


#: Items an async generator hands over per trip through the event loop: one
#: trip costs ~100 µs, so row-at-a-time generators are pulled in chunks.
ASYNC_CHUNK = 4096


def _pull_async(items: AsyncIterator[Any], control: RunControl) -> Iterator[Any]:
    async def step() -> list[Any]:
        chunk: list[Any] = []
        while len(chunk) < ASYNC_CHUNK:
            item = await anext(items, _END)
            if item is _END:
                chunk.append(_END)
                break
            chunk.append(item)
            if not isinstance(item, dict):
                break  # Arrow data is already a batch: hand it over now
        return chunk

    while True:
        for item in control.run_on_loop(step):
            if item is _END:
                return
            yield item


def _items(result: Any, control: RunControl) -> Iterator[Any]:
    """Whatever the function gave back, as an iterator of items."""
    if inspect.isawaitable(result):
        awaitable = result

        async def wait() -> Any:
            return await awaitable

        result = control.run_on_loop(wait)
    if result is None:
        return iter(())
    if isinstance(result, pa.Table | pa.RecordBatch | pa.RecordBatchReader | dict):
        return iter([result])
    if hasattr(result, "__aiter__"):
        return _pull_async(result, control)
    if isinstance(result, Iterable):
        return iter(result)
    raise SourceError(f"report function returned {type(result).__name__}, not rows or Arrow data")


def _batches(items: Iterator[Any], batcher: RowBatcher) -> Iterator[pa.RecordBatch]:
    for item in items:
        if isinstance(item, dict):
            rows = list(itertools.chain([item], itertools.islice(items, BATCH_ROWS - 1)))
            # Rows that follow a dict must be dicts too; islice stopped at the batch size.
            if not all(isinstance(r, dict) for r in rows):
                raise SourceError("report function mixed rows (dicts) with other values")
            yield batcher.from_dicts(rows)
        elif isinstance(item, pa.RecordBatch):
            yield item
        elif isinstance(item, pa.Table):
            yield from item.to_batches(max_chunksize=BATCH_ROWS)
        elif isinstance(item, pa.RecordBatchReader):
            yield from item
        elif isinstance(item, list) and all(isinstance(r, dict) for r in item):
            for chunk in chunked(item):
                yield batcher.from_dicts(chunk)
        else:
            kind = type(item).__name__
            raise SourceError(f"report function produced {kind}; expected dicts or Arrow data")


def read_function(
    report: str, fn: Callable[..., Any], params: Mapping[str, Any], control: RunControl
) -> pa.RecordBatchReader:
    label = f"report function {report!r}"
    kwargs = _accepted(fn, params)
    batcher = RowBatcher(None, what=label)

    def call() -> Iterator[Any]:
        if inspect.iscoroutinefunction(fn) or inspect.isasyncgenfunction(fn):
            result = control.run_on_loop(_call_async(fn, kwargs))
        else:
            result = fn(**kwargs)
        return _items(result, control)

    items = _guard(label, lambda: iter([call()]))
    first = next(items)
    # A single table or reader carries its schema, even with no rows.
    head = list(itertools.islice(first, 2))
    if len(head) == 1 and isinstance(head[0], pa.Table | pa.RecordBatchReader):
        one = head[0]
        batches = one.to_batches(max_chunksize=BATCH_ROWS) if isinstance(one, pa.Table) else one
        return pa.RecordBatchReader.from_batches(one.schema, _checked(iter(batches), control))
    rest = itertools.chain(head, first)
    stream = _guard(label, lambda: _checked(_batches(rest, batcher), control))
    return _cast_to(peek_reader(stream, pa.schema([])))


def _checked(batches: Iterator[pa.RecordBatch], control: RunControl) -> Iterator[pa.RecordBatch]:
    for batch in batches:
        control.check()
        yield batch


def _guard(label: str, make: Callable[[], Iterator[T]]) -> Iterator[T]:
    """Iterate ``make()``, turning the function's own errors into SourceError."""
    try:
        yield from make()
    except (ReportflowError, RunCancelled):
        raise
    except Exception as exc:
        raise SourceError(f"{label} failed: {type(exc).__name__}: {one_line(exc)}") from exc


def _call_async(fn: Callable[..., Any], kwargs: dict[str, Any]) -> Callable[[], Any]:
    async def call() -> Any:
        result = fn(**kwargs)
        return await result if inspect.isawaitable(result) else result

    return call


def _cast_to(reader: pa.RecordBatchReader) -> pa.RecordBatchReader:
    """Later Arrow batches are cast to the first one's schema."""
    schema = reader.schema

    def batches() -> Iterator[pa.RecordBatch]:
        for batch in reader:
            if batch.schema.equals(schema):
                yield batch
                continue
            try:
                yield batch.select(schema.names).cast(schema)
            except (pa.ArrowException, KeyError) as exc:
                why = one_line(exc)
                msg = f"report function: a batch does not match the first one's schema: {why}"
                raise SourceError(msg) from exc

    return pa.RecordBatchReader.from_batches(schema, batches())
