"""Benchmark of the ``reportflow`` command's start-up time."""
