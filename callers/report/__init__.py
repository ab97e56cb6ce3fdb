"""The supervisor's figures: forwards per department, coverage of the cycle,
call length, freshness, and what the calls found.

Plain values in, plain values out (dataclasses); no UI here. Every figure is an
aggregate computed in SQL that works the same on SQLite and PostgreSQL. The
big counts are read from the tallies the database keeps by triggers
(models/tallies.py): whole days from a tally, the part-days at either end of a
period from the rows themselves, so each figure is exact to the second while
a report reads a few thousand rows however large the database. Python only
walks the handful of grouped rows that come back.

Definitions (the README's supervisor section says the same):

- A period is ``[since, until)``: `since` included, `until` excluded.
- A call counts in a period when it *started* in it: an answered call by
  `started_at`, a call nobody answered (``started_at`` NULL) by `ended_at`
  (the moment the attempt was given an outcome). An unanswered call still on
  the desk (no `ended_at`) is not counted yet.
- A call's length is ``ended_at - started_at`` rounded to the nearest second,
  for answered calls that have ended.
- `forwarded`: forwards created in the period, except withdrawn ones.
  `returned` ("not ours") and the median days from forward to done count the
  forwards *resolved* in the period. `open` and `oldest_open_days` are now.
- Coverage and freshness are as of now; "the cycle" is the last `cycle_days`.


The package, by idea: periods (which span), figures (the dataclasses a
report holds), sums (exact counts from the tallies), departments, calls,
customers (the sections' queries), assemble (`build`), render (JSON, CSV,
text). Every public name is importable from `callers.report`.
"""

from __future__ import annotations

from callers.report.periods import (  # noqa: F401
    DAY,
    PERIOD_KEYS,
    PERIOD_LABELS,
    Period,
    period_for,
    parse_period,
)
from callers.report.figures import (  # noqa: F401
    OPEN_CHANGE,
    MEDIAN_CHANGE_DAYS,
    CHANGE_SHARE,
    change,
    DECAY_RULE_OF_THUMB,
    DepartmentFigures,
    Coverage,
    CallerFigures,
    CallFigures,
    Fact,
    Decay,
    Freshness,
    FeatureFigures,
    Report,
)
from callers.report.sums import (  # noqa: F401
    _share,
    HOUR,
    ONE_DAY,
)
from callers.report.departments import (  # noqa: F401
    TREND_WEEKS,
    OPEN_STATUSES,
    RESOLVED_STATUSES,
    department_figures,
    fixed_figures,
)
from callers.report.calls import (  # noqa: F401
    LONG_CALL_SECONDS,
    call_figures,
)
from callers.report.customers import (  # noqa: F401
    MONTH_DAYS,
    FACTS,
    customer_figures,
    decay,
    feature_figures,
)
from callers.report.assemble import (  # noqa: F401
    Cancelled,
    build,
)
from callers.report.render import (  # noqa: F401
    to_dict,
    to_json,
    to_csv,
    features_csv,
    DASH,
    num,
    pct,
    mmss,
    days,
    to_text,
    features_text,
)
from models.vocabulary import IMPLEMENTATION_STATES, REFERENCE_KINDS  # noqa: F401 (named by the screens)
