"""Standard Webhooks for reportflow: signing, delivery with retries, the durable outbox.

The runner posts report state changes to the requestor through
:class:`WebhookSink`; the requestor checks them with :class:`Verifier`; the
alert notifier reuses :class:`WebhookClient` for its HTTP channel.
"""

from reportflow.webhooks.delivery import (
    DeliveryAttempt,
    Outcome,
    WebhookClient,
    classify,
    encode_payload,
)
from reportflow.webhooks.dispatcher import OutboxDispatcher
from reportflow.webhooks.outbox import AttemptRecord, Delivery, MessageState, Outbox
from reportflow.webhooks.schedule import RetrySchedule, parse_retry_after
from reportflow.webhooks.signing import (
    HEADER_ID,
    HEADER_SIGNATURE,
    HEADER_TIMESTAMP,
    Verifier,
    generate_secret,
    sign,
    signature_headers,
)
from reportflow.webhooks.sink import WebhookSink, event_message_id, event_payload

__all__ = [
    "HEADER_ID",
    "HEADER_SIGNATURE",
    "HEADER_TIMESTAMP",
    "AttemptRecord",
    "Delivery",
    "DeliveryAttempt",
    "MessageState",
    "Outbox",
    "OutboxDispatcher",
    "Outcome",
    "RetrySchedule",
    "Verifier",
    "WebhookClient",
    "WebhookSink",
    "classify",
    "encode_payload",
    "event_message_id",
    "event_payload",
    "generate_secret",
    "parse_retry_after",
    "sign",
    "signature_headers",
]
