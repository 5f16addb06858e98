"""Runner pool benchmarks: ``python -m bench.runner.makespan``."""
