"""References on demand, without wearing customers out.

Plain values in, plain values out; no UI here. Every query is set-based: one
query finds and ranks the candidates (uses in the window and features matched
are aggregated in SQL), then one query each fetches the features, contacts
and uses of the page shown.

Rules (README, section references):
- A candidate has answered "yes" for the kind of reference asked (any kind
  when none is asked), is not do-not-call, and passes every filter given
  (industry, size band, country or region, implementation state -- live by
  default -- and, when features are asked, at least one of them in
  production).
- Rank: customers offered before resting ones; then fit (more of the asked
  features in production first, then referenceability confirmed within the
  cycle before stale); then least recently used (never used first); then name.
- The rolling window is [now - window_days, now], both ends included: a use
  exactly `window_days` ago still counts. A customer with `cap` uses or more
  in the window is resting: shown, never offered; using them anyway needs an
  override reason, which is logged with the use.

The package, by idea: asking (the criteria people type), finding (the
ranked candidates), uses (logging a use, its request, the request log),
thanks (the thank-yous owed). Regions live in callers/regions.py. Every
public name is importable from `callers.references`.
"""

from __future__ import annotations

from callers.regions import REGIONS  # noqa: F401
from callers.references.asking import (  # noqa: F401
    REF_TYPES,
    REF_LABELS,
    DEFAULT_STATE,
    ANY_STATE,
    Criteria,
    parse_type,
    parse_size,
    parse_place,
    parse_state,
    resolve_features,
    criteria,
)
from callers.references.finding import (  # noqa: F401
    RefContact,
    Use,
    Candidate,
    Found,
    CANDIDATE_CSV,
    find,
    why,
)
from callers.references.uses import (  # noqa: F401
    find_customer,
    Logged,
    Standing,
    standing,
    log_use,
    log_request,
    REQUEST_CSV,
    RequestLine,
    request_log,
)
from callers.references.thanks import (  # noqa: F401
    THANKS_CSV,
    Thanks,
    thanks_owed,
    mark_thanked,
)
