"""reportflow.store: the requestor's tables, migrations and queries.

``await Store.open(url)`` connects and migrates; queries are functions in
:mod:`users`, :mod:`reports` and :mod:`events` that take the connection of a
``store.transaction()``.
"""

from reportflow.store import events, reports, users
from reportflow.store.lifecycle import Phase, Transition, transition
from reportflow.store.migrate import migrate
from reportflow.store.records import FINAL_STATUSES, LogEntry, Report, ReportStatus, Role, User
from reportflow.store.store import Store

__all__ = [
    "FINAL_STATUSES",
    "LogEntry",
    "Phase",
    "Report",
    "ReportStatus",
    "Role",
    "Store",
    "Transition",
    "User",
    "events",
    "migrate",
    "reports",
    "transition",
    "users",
]
