"""callers: a terminal desk for calling every customer, every cycle."""

__version__ = "0.1.0"

# No collector passes while callers starts (callers.collector: at most 2 s).
from callers import collector  # noqa: E402

collector.hold_start()

# The models first: they import peewee without PostgreSQL's driver, which a
# SQLite desk never needs (`models.driver`), before any callers module imports peewee.
import models  # noqa: E402,F401
