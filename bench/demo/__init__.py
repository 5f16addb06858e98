"""Benchmarks of the demo warehouse builder and of parameter binding."""
