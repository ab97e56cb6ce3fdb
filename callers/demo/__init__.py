"""The demo database: customers that look real, 120 days of calls, forwards.

`generate()` fills an open, empty database (see `callers demo`). Everything
follows from one `random.Random(seed)` drawn in a fixed order, so the same
seed, size and clock give identical rows. "Now" is `callers.clock.now()`, so
`CALLERS_NOW` shifts the whole history.

The due-queue columns are not drawn at random: each customer's calls are
replayed through the same rules `callers.calls.end_call` applies (90-day
cycle after a completed call, retries after no answer / voicemail / busy,
parked after `max_attempts`, callbacks, wrong numbers, do not call).

Speed: rows are generated in chunks of customers with their ids precomputed
(no round-trips for foreign keys) and written with multi-row INSERTs, one
write transaction per chunk; memory stays flat whatever the size.

The package, by idea: `vocabulary` (the words it draws from), `draws` (the
random stream and its small draws), `generator` (customers, calls, forwards
as plain tuples) and `writer` (writing them; `generate`, `clear`).
"""

from callers.demo.generator import HISTORY_DAYS, SOURCE, VERSION, Generator
from callers.demo.vocabulary import FEATURES
from callers.demo.writer import (CALL_COLUMNS, CHUNK, CONTACT_COLUMNS, CUSTOMER_COLUMNS, DATA_TABLES,
                                 DEFER_INDEXES_FROM, DemoResult, clear, customer_count, generate)

__all__ = [
    "CALL_COLUMNS", "CHUNK", "CONTACT_COLUMNS", "CUSTOMER_COLUMNS", "DATA_TABLES", "DEFER_INDEXES_FROM",
    "FEATURES", "HISTORY_DAYS", "SOURCE", "VERSION", "DemoResult", "Generator", "clear", "customer_count",
    "generate",
]
