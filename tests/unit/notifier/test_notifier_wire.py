"""The spawner's frames: split anywhere, several per read, and a corrupt length refused."""

from __future__ import annotations

import struct

import pytest

from reportflow.spawn import wire


def test_messages_come_out_whole_however_the_bytes_are_split() -> None:
    messages = [(1, ["/bin/echo", "é"], {"A": "b"}, b"\x00" * 70000, None, 1.5, 10), (2,)]
    data = b"".join(wire.encode(m) for m in messages)
    for step in (1, 3, 4, 5, 1000, len(data)):
        frames = wire.Frames()
        out = []
        for i in range(0, len(data), step):
            out += frames.feed(data[i : i + step])
        assert out == messages


def test_a_length_beyond_any_frame_is_an_error() -> None:
    with pytest.raises(ValueError, match="frame of"):
        wire.Frames().feed(struct.pack("!I", wire.MAX_FRAME + 1) + b"x")
