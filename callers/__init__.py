"""callers: a terminal desk for calling every customer, every cycle."""

__version__ = "0.1.0"

# The models first: they import peewee without PostgreSQL's driver, which a
# SQLite desk never needs (`models.driver`), before any callers module imports peewee.
import models  # noqa: E402,F401
