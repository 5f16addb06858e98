"""Several webhook messages in one signed POST, and the per-message answer.

Under load a runner has many messages for the same endpoint at once. Sending
them one request each costs a request, a signature check and a store
transaction per message on both sides; a batch costs one of each for all of
them. A batch is itself a Standard Webhooks message (signed, with its own
``webhook-id`` and timestamp) whose body carries the messages, each with the
id and body it would have had alone::

    {"type": "webhook.batch",
     "messages": [{"id": "msg_...", "message": {"type": "report.started", ...}}, ...]}

The receiver treats each message as if it had arrived alone (it deduplicates
by the message's own id, so replaying a batch has no second effect) and
answers 200 with one result per message, in any order::

    {"outcome": "batch", "results": [{"id": "msg_...", "status": 200, "detail": "..."}, ...]}

Each result's ``status`` is classified like the status of a single delivery
(:func:`~reportflow.webhooks.delivery.classify`); a batch answered with
anything but 2xx applies that status to every message in it. Both ends of a
batch must run this version of reportflow: a runner's ``webhook_batch``
setting of 1 sends every message alone, as older requestors expect.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

BATCH_TYPE = "webhook.batch"
#: A batch never grows past this many bytes (the requestor's default body limit is 1 MiB).
MAX_BATCH_BYTES = 512 * 1024
#: Messages in one batch the receiver accepts.
MAX_BATCH_MESSAGES = 1000
MAX_ID_CHARS = 255


@dataclass(frozen=True, slots=True)
class Message:
    """One message ready to send: its id and its encoded JSON body."""

    id: str
    body: bytes


def chunks(messages: Sequence[Message], size: int) -> list[list[Message]]:
    """``messages`` in order, cut into batches of at most ``size`` messages and
    :data:`MAX_BATCH_BYTES` (a message bigger than that travels alone)."""
    out: list[list[Message]] = []
    current: list[Message] = []
    used = 0
    for message in messages:
        cost = len(message.body) + len(message.id) + 32
        if current and (len(current) >= size or used + cost > MAX_BATCH_BYTES):
            out.append(current)
            current, used = [], 0
        current.append(message)
        used += cost
    if current:
        out.append(current)
    return out


def encode_batch(messages: Sequence[Message]) -> bytes:
    """The batch body; each message's bytes are embedded as they are (no re-encoding)."""
    parts = [
        b'{"id":' + json.dumps(m.id).encode() + b',"message":' + m.body + b"}" for m in messages
    ]
    return b'{"type":"' + BATCH_TYPE.encode() + b'","messages":[' + b",".join(parts) + b"]}"


def is_batch(raw: Any) -> bool:
    return isinstance(raw, dict) and raw.get("type") == BATCH_TYPE


class BatchFormatError(ValueError):
    """The body says it is a batch but is not a well-formed one."""


def split_batch(raw: dict[str, Any]) -> list[tuple[str, Any]]:
    """The ``(id, message)`` pairs of a decoded batch body, in order.

    Raises BatchFormatError when ``messages`` is not a list of 1 to
    :data:`MAX_BATCH_MESSAGES` objects with a string ``id`` and a ``message``,
    or when an id repeats.
    """
    messages = raw.get("messages")
    if not isinstance(messages, list) or not 1 <= len(messages) <= MAX_BATCH_MESSAGES:
        raise BatchFormatError(f"messages: a list of 1 to {MAX_BATCH_MESSAGES} messages is needed")
    pairs: list[tuple[str, Any]] = []
    seen: set[str] = set()
    for index, item in enumerate(messages):
        if not isinstance(item, dict) or "message" not in item:
            raise BatchFormatError(f"messages[{index}]: an object with id and message is needed")
        msg_id = item.get("id")
        if not isinstance(msg_id, str) or not 1 <= len(msg_id.strip()) <= MAX_ID_CHARS:
            raise BatchFormatError(f"messages[{index}].id: 1 to {MAX_ID_CHARS} characters")
        if msg_id in seen:
            raise BatchFormatError(f"messages[{index}].id: {msg_id!r} appears twice")
        seen.add(msg_id)
        pairs.append((msg_id.strip(), item["message"]))
    return pairs


def answer_statuses(answer: Any) -> dict[str, tuple[int, str]]:
    """``id -> (status, detail)`` from a batch answer; empty when it has no results."""
    results = answer.get("results") if isinstance(answer, dict) else None
    if not isinstance(results, list):
        return {}
    out: dict[str, tuple[int, str]] = {}
    for item in results:
        if not isinstance(item, dict):
            continue
        msg_id, status = item.get("id"), item.get("status")
        if isinstance(msg_id, str) and isinstance(status, int):
            out[msg_id] = (status, str(item.get("detail") or ""))
    return out
