"""What the requestor's routes work with, bundled once per app."""

from __future__ import annotations

from dataclasses import dataclass

from reportflow.artifacts import ArtifactStore
from reportflow.catalog import Catalog
from reportflow.config import RequestorSettings
from reportflow.queue import Queue
from reportflow.requestor.broadcast import Broadcast
from reportflow.store import Store
from reportflow.webhooks import Verifier


@dataclass(slots=True)
class Services:
    """The requestor's collaborators. The app never opens or closes them: its caller does."""

    store: Store
    queue: Queue
    catalog: Catalog
    broadcast: Broadcast
    config: RequestorSettings
    session_key: bytes
    """Key of the CSRF tokens."""
    verifier: Verifier | None = None
    """Checks runner webhooks; None: ``/hooks/runner`` answers 503 (not configured)."""
    artifacts: ArtifactStore | None = None
    """Where downloads come from; None: artifact downloads answer 404."""
    enqueue_in_transaction: bool = True
    """The queue lives in the store's database: enqueue inside the report's transaction."""
