"""Constant memory: 2,000,000 rows to CSV and XLSX in a fresh process."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ROWS = 2_000_000
#: Peak RSS may grow this much over the process's size before the run.
MAX_GROWTH_MB = 200

SCRIPT = textwrap.dedent(
    """
    import asyncio, json, resource, sys
    import numpy as np
    import pyarrow as pa
    from reportflow.artifacts import LocalArtifactStore
    from reportflow.catalog.model import ReportDefinition
    from reportflow.config import Settings
    from reportflow.etl import run_report

    rows, root = int(sys.argv[1]), sys.argv[2]

    def generate():
        for start in range(0, rows, 65536):
            ids = np.arange(start, min(rows, start + 65536))
            yield pa.record_batch({"id": ids, "amount": ids * 0.25})

    definition = ReportDefinition(name="big", function=generate, formats=["csv", "xlsx"])

    async def main():
        return await run_report(
            definition, {}, settings=Settings(), store=LocalArtifactStore(root), job_id="m"
        )

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result = asyncio.run(main())
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"before_kb": before, "after_kb": after, "rows": result.rows,
                      "sheets_rows": [a.rows for a in result.artifacts]}))
    """
)


@pytest.mark.timeout(400)
def test_two_million_rows_to_csv_and_xlsx_in_bounded_memory(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(ROWS), str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=380,
        check=True,
    )
    report = json.loads(done.stdout.strip().splitlines()[-1])
    growth_mb = (report["after_kb"] - report["before_kb"]) / 1024
    assert report["rows"] == ROWS
    assert report["sheets_rows"] == [ROWS, ROWS]
    assert growth_mb < MAX_GROWTH_MB, f"peak RSS grew {growth_mb:.0f} MB"
    csv = tmp_path / "m" / "big.csv"
    with csv.open("rb") as fh:
        assert sum(1 for _ in fh) == ROWS + 1
    assert (tmp_path / "m" / "big.xlsx").stat().st_size > 1_000_000
