"""Importing the customer list from a support-desk or CRM export.

`import_file(path, region=..., maps=[...], dry_run=...)` recognises the export
(Zendesk, Freshdesk, HubSpot, Salesforce, a generic account/contact CSV, or
any file with `--map COLUMN=FIELD`), puts every phone number through
`callers.phones`, groups rows into customers (account id, else the company
name's key), dedupes contacts (source contact id, E.164 phone or e-mail within
a customer) and writes in batches. Every row ends as exactly one of created,
updated, unchanged, duplicate, rejected (with a reason) or skipped (with a
reason); re-importing creates nothing twice.

Rules worth knowing:
- A value in the file overwrites the stored one; an empty cell never erases.
  Within one file, the first non-empty value for a customer fact wins.
- Do-not-call is only ever set by an import, never cleared (a "do not call"
  said on a call outlives an old export).
- A row that changes only its customer (e.g. a new industry) counts as updated.
- A customer list (`callers export customers`: no phone column) creates and
  updates customers only; each row is one customer.
- Implementation state and referenceability (a customer list's columns) fill
  only what is unknown: an import never overwrites what a call found.
- An import stopped part-way (the connection dropped, the disk filled up)
  raises `ImportStopped`, which says how many rows were written; every batch
  is its own transaction, and importing the file again is safe.

The package, by idea: `layouts` (which export, which column is which field),
`rows` (a row's cells to clean values, or the reason it is rejected or
skipped), `people` (matching a row to a customer's contacts), `writer` (a batch
to the database) and `run` (one import over a file: outcomes, the rejects
file, stopping part-way).
"""

from callers.importer.layouts import FIELDS, GENERIC, LAYOUTS, Layout, Mapping, detect, expected_fields
from callers.importer.rows import CustomerRow, Rejected, Row, RowReader, Skipped
from callers.importer.run import OUTCOMES, ROW_BATCH, ImportResult, Importer, ImportStopped, import_file

__all__ = [
    "FIELDS", "GENERIC", "LAYOUTS", "OUTCOMES", "ROW_BATCH", "CustomerRow", "ImportResult", "ImportStopped",
    "Importer", "Layout", "Mapping", "Rejected", "Row", "RowReader", "Skipped", "detect", "expected_fields",
    "import_file",
]
