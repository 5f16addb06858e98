"""reportflow.requestor: the HTTP API, auth, user channels and the runner webhook.

``create_app(settings, queue=..., catalog=..., store=...)`` builds the FastAPI
app; ``serve(settings)`` opens everything from settings and runs it.
"""

from reportflow.requestor.app import create_app
from reportflow.requestor.broadcast import Broadcast, MemoryBroadcast, Subscription, user_channel
from reportflow.requestor.services import Services

__all__ = [
    "Broadcast",
    "MemoryBroadcast",
    "Services",
    "Subscription",
    "create_app",
    "user_channel",
]
