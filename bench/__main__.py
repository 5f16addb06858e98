"""Run every benchmark area that has a ``__main__`` (``python -m bench``), or the
named ones (``python -m bench queue runner``). Results go to docs/benchmarks.md by hand."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def main() -> None:
    root = Path(__file__).parent
    areas = sys.argv[1:] or sorted(p.name for p in root.iterdir() if (p / "__main__.py").exists())
    failed = [
        area
        for area in areas
        if subprocess.run([sys.executable, "-m", f"bench.{area}"], check=False).returncode != 0
    ]
    if failed:
        sys.exit(f"benchmarks failed: {', '.join(failed)}")


if __name__ == "__main__":
    main()
