"""reportflow: report requests in, finished reports out."""

__version__ = "0.1.0"
