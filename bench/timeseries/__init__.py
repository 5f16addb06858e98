"""Benchmarks of reportflow.timeseries against statsmodels and pandas."""
