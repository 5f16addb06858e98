"""Alembic environment for the store: run from :func:`reportflow.store.migrate`.

The caller hands over an open connection in ``config.attributes["connection"]``
so migrations run on exactly the database the app uses. The version table has
its own name because the queue (and others) may share the database.
"""

from __future__ import annotations

from alembic import context

from reportflow.store.tables import metadata

VERSION_TABLE = "rf_store_version"

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    version_table=VERSION_TABLE,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
