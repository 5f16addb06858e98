"""reportflow benchmarks: one sub-package per area, results in docs/benchmarks.md."""
