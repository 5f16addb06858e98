"""Autoscaling simulation: ``.venv/bin/python -m bench.autoscale``."""
