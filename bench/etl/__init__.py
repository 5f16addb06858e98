"""Benchmarks of the streaming ETL against a pandas baseline."""
