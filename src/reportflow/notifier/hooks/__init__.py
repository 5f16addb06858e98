"""Generic hooks: ``POST /hooks/{id}`` defined in ``hooks.yaml`` — trigger rules, signatures,
IP allowlists, commands or notifications, response mapping, limits, reload and history.

    hooks = HooksService.from_settings(settings, notifier_service)
    hooks.mount(app, require_auth)        # create_app does this for you
"""

from reportflow.notifier.hooks.config import (
    CommandAction,
    HookConfig,
    HooksFile,
    NotifyAction,
    ResponseConfig,
    SignatureConfig,
    load_hooks,
    parse_hooks,
)
from reportflow.notifier.hooks.errors import HookRejection, HooksConfigError
from reportflow.notifier.hooks.history import CallOutcome, HookCall, HookCallLog
from reportflow.notifier.hooks.registry import HookRegistry
from reportflow.notifier.hooks.rules import Rule, parse_rule
from reportflow.notifier.hooks.service import HooksService
from reportflow.notifier.hooks.signatures import sign, verify

__all__ = [
    "CallOutcome",
    "CommandAction",
    "HookCall",
    "HookCallLog",
    "HookConfig",
    "HookRegistry",
    "HookRejection",
    "HooksConfigError",
    "HooksFile",
    "HooksService",
    "NotifyAction",
    "ResponseConfig",
    "Rule",
    "SignatureConfig",
    "load_hooks",
    "parse_hooks",
    "parse_rule",
    "sign",
    "verify",
]
