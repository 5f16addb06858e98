"""The Alertmanager receiver: routes, templates and channels (email, Teams, Slack, HTTP,
command, scale), with deduplication and a notification history.

    app = create_app(settings)          # FastAPI, mount it or run it with uvicorn
"""

from reportflow.notifier.app import create_app
from reportflow.notifier.config import NotifierConfig, load_config, parse_config
from reportflow.notifier.dispatcher import Dispatcher, DispatchResult
from reportflow.notifier.errors import (
    DeliveryError,
    NotifierConfigError,
    NotifierError,
    PayloadError,
    TemplateError,
)
from reportflow.notifier.history import NotificationLog, NotificationRecord, Outcome
from reportflow.notifier.payload import Alert, AlertGroup, AlertStatus, parse_payload
from reportflow.notifier.routing import Route, resolve

__all__ = [
    "Alert",
    "AlertGroup",
    "AlertStatus",
    "DeliveryError",
    "DispatchResult",
    "Dispatcher",
    "NotificationLog",
    "NotificationRecord",
    "NotifierConfig",
    "NotifierConfigError",
    "NotifierError",
    "Outcome",
    "PayloadError",
    "Route",
    "TemplateError",
    "create_app",
    "load_config",
    "parse_config",
    "parse_payload",
    "resolve",
]
