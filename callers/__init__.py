"""callers: a terminal desk for calling every customer, every cycle."""

__version__ = "0.1.0"
