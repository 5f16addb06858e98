"""Frames between a :class:`~reportflow.spawn.client.Spawner` and its helper process.

A frame is a 4-byte big-endian length and a pickle. Pickle is safe here: both
ends are the same program and the socket is a private ``socketpair`` that no
other process can reach. Requests are ``(id, argv, env, stdin, cwd, timeout,
output_limit)``, or ``(id,)`` to cancel; answers are ``(id, kind, value)``
(see :data:`OK`, :data:`TIMEOUT`, :data:`OS_ERROR`, and :data:`CANCELLED` once a
cancelled program's group is dead).
"""

from __future__ import annotations

import pickle
import struct
from typing import Any

OK, TIMEOUT, OS_ERROR, CANCELLED = "ok", "timeout", "oserror", "cancelled"
_HEADER = struct.Struct("!I")
MAX_FRAME = 256 * 1024 * 1024  # far above any stdin or capped output: a corrupt length


def encode(message: tuple[Any, ...]) -> bytes:
    body = pickle.dumps(message, pickle.HIGHEST_PROTOCOL)
    return _HEADER.pack(len(body)) + body


class Frames:
    """Splits a byte stream into the messages it carries."""

    __slots__ = ("_buffer",)

    def __init__(self) -> None:
        self._buffer = bytearray()

    def feed(self, data: bytes) -> list[tuple[Any, ...]]:
        """Add ``data``; return the messages now complete (raises ValueError on a bad length)."""
        buffer = self._buffer
        buffer += data
        out = []
        start = 0
        while len(buffer) - start >= _HEADER.size:
            (size,) = _HEADER.unpack_from(buffer, start)
            if size > MAX_FRAME:
                raise ValueError(f"frame of {size} bytes")
            end = start + _HEADER.size + size
            if len(buffer) < end:
                break
            out.append(pickle.loads(buffer[start + _HEADER.size : end]))
            start = end
        del buffer[:start]
        return out
