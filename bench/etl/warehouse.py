"""A SQLite general ledger of N journal lines for the ETL benchmarks.

The demo builder sets up the dimension tables (accounts, periods); the journal
lines are then generated inside SQLite with a recursive CTE, which fills 10
million rows in seconds instead of the minutes row-by-row inserts take. The
file is cached by row count under the bench directory.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from reportflow.demo import build_warehouse

FILL = """
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < :rows),
acc AS (SELECT account_id, row_number() OVER (ORDER BY account_id) - 1 AS k FROM gl_accounts),
per AS (SELECT period_id, start_date, row_number() OVER (ORDER BY period_id) - 1 AS k
        FROM gl_periods)
INSERT INTO gl_entries (entry_id, journal_id, period_id, account_id, posted_on, debit, credit, memo)
SELECT i, i / 2, per.period_id, acc.account_id, per.start_date,
       CASE WHEN i % 2 = 0 THEN ((i * 7919) % 100000) / 100.0 ELSE 0 END,
       CASE WHEN i % 2 = 1 THEN (((i - 1) * 7919) % 100000) / 100.0 ELSE 0 END,
       'journal line ' || i
FROM n
JOIN acc ON acc.k = (i * 31 + i / 2) % (SELECT count(*) FROM gl_accounts)
JOIN per ON per.k = (i / 2) % (SELECT count(*) FROM gl_periods)
"""


def ensure_warehouse(rows: int, folder: Path) -> Path:
    """The cached warehouse file with ``rows`` journal lines (built if missing)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"gl-{rows}-v2.db"  # v2: covering index + statistics
    if path.exists():
        return path
    partial = folder / f"gl-{rows}.db.part"
    partial.unlink(missing_ok=True)
    started = time.perf_counter()
    build_warehouse(f"sqlite:///{partial}", rows=2)
    conn = sqlite3.connect(partial)
    conn.execute("PRAGMA journal_mode = OFF")
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("DELETE FROM gl_entries")
    # Filling first and indexing after is several times faster than keeping
    # the covering index up to date row by row.
    conn.execute("DROP INDEX ix_gl_entries_account_period")
    conn.execute(FILL, {"rows": rows})
    conn.execute(
        "CREATE INDEX ix_gl_entries_account_period"
        " ON gl_entries (account_id, period_id, debit, credit)"
    )
    conn.commit()
    conn.execute("ANALYZE")
    conn.close()
    partial.rename(path)
    print(f"built {path} ({rows:,} lines) in {time.perf_counter() - started:.0f} s", flush=True)
    return path
