"""Webhooks: a department hears of its forwards in the tools it works in.

A department with a webhook (`set_hook`) gets every event of its forwards
POSTed as JSON: created, acknowledged, done, returned, withdrawn, sent_on,
reopened. The event is queued in `webhook_delivery` in the very transaction
that records it (`queue`, called by `callers.forwards`), so nothing is lost
to a crash or a restart, then delivered by whoever runs `deliver_due`: every
running callers screen (a worker in `callers.app`) and
`callers departments hooks --retry` (cron).

    due = deliver_due()          # POST what is due; never raises for a bad endpoint
    due.delivered, due.failed    # this run
    pending()                    # what still waits, oldest first

Order: per department, events go out in the order they were queued, one at
a time: the oldest undelivered event (the "head") is the only one tried, so
a later event never overtakes an earlier one that failed; it waits, with
the head retried after a growing pause (`backoff`), until the endpoint is
back. Several deliverers at once (two screens, a cron job) never POST one
event twice: a deliverer claims a head in a short write transaction
(`FOR UPDATE SKIP LOCKED` on PostgreSQL, SQLite's single writer) with a
lease, POSTs outside any transaction, then records the answer. A deliverer
that dies mid-POST leaves the lease to run out, and the event is POSTed
again: receivers that must not act twice key on the `X-Callers-Delivery`
header.

Only the standard library speaks HTTP (urllib: proxies from the
environment, no redirects followed, a timeout per request).

About 500 lines: the delivery queue, its lease and the POST belong together:
what is delivered once and in order is decided by all three.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable
from urllib.parse import urlsplit

from peewee import Case, fn

from callers import __version__, clock
from callers.errors import CallersError
from models.db import connection, first_line, lock_rows, write_transaction
from models.tables import Department, DepartmentWebhook, WebhookDelivery

EVENTS = ("created", "acknowledged", "done", "returned", "withdrawn", "sent_on", "reopened")
SIGNATURE_HEADER = "X-Callers-Signature"
DELIVERY_HEADER = "X-Callers-Delivery"
EVENT_HEADER = "X-Callers-Event"
TIMEOUT = 10.0  # seconds per request
BACKOFF_FIRST = 10.0  # seconds before the first retry; doubled after each failure...
BACKOFF_CAP = 600.0  # ...up to ten minutes between tries
KEEP_DELIVERED = timedelta(days=30)  # delivered rows are kept this long, for `hooks` and curiosity
URL_MAX = 2000
_log = logging.getLogger(__name__)


def event_name(status: str) -> str:
    """The webhook event for a forward event's status ('open' is 'created')."""
    name = "created" if status == "open" else status
    if name not in EVENTS:
        raise ValueError(f"no webhook event for forward status {status!r}")
    return name


# ---- the hooks themselves ---------------------------------------------------------


@dataclass(frozen=True)
class Hook:
    department_id: int
    department: str
    url: str
    signed: bool

    @property
    def shown(self) -> str:
        return masked(self.url)


def masked(url: str) -> str:
    """The URL without its path and query, which for Slack, Teams and most
    services is the credential: `https://hooks.slack.com/…`."""
    parts = urlsplit(url)
    rest = "/…" if (parts.path.strip("/") or parts.query) else ""
    return f"{parts.scheme}://{parts.netloc.rsplit('@', 1)[-1]}{rest}"


def check_url(url: str) -> str:
    url = (url or "").strip()
    if len(url) > URL_MAX:
        raise CallersError(f"a webhook URL is at most {URL_MAX} characters")
    if any(ch.isspace() for ch in url):
        raise CallersError("a webhook URL has no spaces")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise CallersError(f"a webhook is an http:// or https:// URL with a host, not {url!r}")
    try:
        parts.port  # noqa: B018 -- raises on a port that is no number
    except ValueError:
        raise CallersError(f"the webhook URL's port is not a number: {url!r}") from None
    return url


def hooks() -> dict[int, Hook]:
    """Every department's webhook, by department id."""
    with connection():
        rows = DepartmentWebhook.select(DepartmentWebhook, Department.id, Department.name).join(Department)
        return {r.department_id: Hook(r.department_id, r.department.name, r.url, bool(r.secret)) for r in rows}


def set_hook(department_id: int, url: str | None, by: str, secret: str | None = None,
             now: datetime | None = None) -> tuple[Hook | None, int]:
    """Set, change or remove a department's webhook.

    `url`: the new URL; None keeps the current one; "" removes the webhook
    and drops the events still waiting for it (their count is returned).
    `secret`: None keeps the current one; "" stops signing. Events waiting
    for a retry are due at once after a change (it is usually the fix).
    Returns (the hook now, or None; events dropped)."""
    by = (by or "").strip()
    if not by:
        raise CallersError("say who is doing this (--as NAME)")
    at = clock.to_db(now or clock.now())
    with connection(), write_transaction():
        dept = Department.get_or_none(Department.id == department_id)
        if dept is None:
            raise CallersError(f"no department {department_id}")
        row = DepartmentWebhook.get_or_none(DepartmentWebhook.department == department_id)
        if url is not None and not url.strip():
            if row is None:
                raise CallersError(f"{dept.name} has no webhook")
            dropped = (WebhookDelivery.delete()
                       .where(WebhookDelivery.department == department_id, WebhookDelivery.delivered_at.is_null())
                       .execute())
            row.delete_instance()
            return None, dropped
        if url is None and row is None:
            raise CallersError(f"{dept.name} has no webhook yet: give --webhook URL")
        if secret is not None and len(secret) > 1000:
            raise CallersError("a webhook secret is at most 1000 characters")
        if row is None:
            row = DepartmentWebhook(department=department_id)
        if url is not None:
            row.url = check_url(url)
        if secret is not None:
            row.secret = secret or None
        row.updated_at, row.updated_by = at, by
        row.save()
        # A new URL or secret is usually the fix for what failed: what waits goes at the next look.
        (WebhookDelivery.update(next_attempt_at=at)
         .where(WebhookDelivery.department == department_id, WebhookDelivery.delivered_at.is_null(),
                WebhookDelivery.next_attempt_at > at).execute())
        return Hook(dept.id, dept.name, row.url, bool(row.secret)), 0


# ---- queueing, inside the transaction that records the event ----------------------


def listening(department_ids) -> set[int]:
    """Which of these departments have a webhook (run inside the caller's transaction)."""
    ids = {d for d in department_ids if d is not None}
    if not ids:
        return set()
    rows = DepartmentWebhook.select(DepartmentWebhook.department).where(DepartmentWebhook.department.in_(ids))
    return {r.department_id for r in rows}


def summary(event: str, by: str, forward: dict, note: str | None = None,
            from_department: str | None = None, to_department: str | None = None) -> str:
    """One line of plain text, for a chat message: what happened to which customer."""
    what = {
        "created": f"New forward #{forward['id']} for {forward['department']} from {by}",
        "acknowledged": f"Forward #{forward['id']} acknowledged by {by}",
        "done": f"Forward #{forward['id']} done by {by}",
        "returned": f"Forward #{forward['id']} returned as not ours by {by}",
        "withdrawn": f"Forward #{forward['id']} withdrawn by {by}",
        "sent_on": f"Forward #{forward['id']} sent on from {from_department} to {to_department} by {by}",
        "reopened": f"Forward #{forward['id']} reopened by {by}",
    }[event]
    who = forward["customer"]
    if forward.get("contact"):
        who += f" ({forward['contact']}" + (f", {forward['phone']}" if forward.get("phone") else "") + ")"
    line = f"{what}: {who}"
    text = note if event != "created" else forward.get("note")
    if text:
        line += f": {text}"
    return line


def payload(event: str, event_id: int, at: datetime, by: str, department: str, forward: dict,
            note: str | None = None, from_department: str | None = None,
            to_department: str | None = None) -> dict:
    """The JSON object POSTed for one event (README, "Webhooks")."""
    if event not in EVENTS:
        raise ValueError(f"unknown webhook event {event!r}")
    return {
        "event": event,
        "id": event_id,
        "at": clock.from_db(at).isoformat(),
        "by": by,
        "note": note,
        "department": department,
        "from_department": from_department,
        "to_department": to_department,
        "summary": summary(event, by, forward, note, from_department, to_department),
        "forward": forward,
    }


def queue(department_id: int, body: dict, forward_id: int, at: datetime) -> None:
    """Queue one POST to a department's webhook. Call it inside the write
    transaction that records the event: both are kept, or neither."""
    WebhookDelivery.create(
        department=department_id, event=body["event"], forward_id=forward_id, event_id=body["id"],
        delivery_id=str(uuid.uuid4()), body=encode(body), created_at=clock.to_db(at),
        next_attempt_at=clock.to_db(at))


def encode(body: dict) -> str:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"))


# ---- signing -------------------------------------------------------------------------


def sign(body: bytes, secret: str) -> str:
    """The X-Callers-Signature value: `sha256=` and the hex HMAC-SHA256 of the raw body."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def verify(body: bytes, secret: str, signature: str | None) -> bool:
    """What a receiver does: recompute the signature over the raw body and
    compare in constant time."""
    return bool(signature) and hmac.compare_digest(sign(body, secret), signature.strip())


# ---- sending -----------------------------------------------------------------------------


class Failed(Exception):
    """The endpoint did not take the event; the message says why, on one line."""


_OPENER = None  # made at the first post: http.client and urllib.request cost the desk's start-up ~30 ms


def _opener():
    """urllib's opener, minus redirects: a redirect is an answer, not a
    delivery (urllib would turn a POST into a bodiless GET for 301/302/303)."""
    global _OPENER
    if _OPENER is None:
        import urllib.request

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, req, fp, code, msg, headers, newurl):
                return None

        _OPENER = urllib.request.build_opener(NoRedirect)
    return _OPENER


def post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> int:
    """POST once; the status (2xx) or `Failed`."""
    import http.client
    import urllib.error
    import urllib.request

    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with _opener().open(request, timeout=timeout) as response:
            response.read(64 * 1024)
            return response.status
    except urllib.error.HTTPError as exc:
        location = exc.headers.get("Location") if 300 <= exc.code < 400 and exc.headers else None
        exc.close()
        reason = f"HTTP {exc.code} {exc.reason or ''}".strip()
        raise Failed(f"{reason}; set the webhook to {location}" if location else reason) from None
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, TimeoutError):
            raise Failed(f"no answer within {timeout:g} s") from None
        raise Failed(_why(exc.reason) if isinstance(exc.reason, BaseException) else str(exc.reason)) from None
    except TimeoutError:  # socket.timeout: connected, then no answer in time
        raise Failed(f"no answer within {timeout:g} s") from None
    except (http.client.HTTPException, OSError, ValueError) as exc:
        raise Failed(_why(exc)) from None


def _why(exc: BaseException) -> str:
    """"connection refused", "Name or service not known": the words, not the errno."""
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror[:1].lower() + exc.strerror[1:] if exc.strerror[1:2].islower() else exc.strerror
    return first_line(exc)


def headers_for(row: WebhookDelivery, body: bytes, secret: str | None) -> dict[str, str]:
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": f"callers/{__version__}",
        EVENT_HEADER: row.event,
        DELIVERY_HEADER: row.delivery_id,
    }
    if secret:
        headers[SIGNATURE_HEADER] = sign(body, secret)
    return headers


# ---- delivering ---------------------------------------------------------------------------


def backoff(attempts: int) -> float:
    """Seconds to wait after the `attempts`-th failure in a row: 10, 20, 40 … 600."""
    return min(BACKOFF_CAP, BACKOFF_FIRST * 2 ** max(0, attempts - 1))


def lease(timeout: float) -> timedelta:
    """How long a claim holds: the request's time and then some."""
    return timedelta(seconds=3 * timeout + 30)


@dataclass
class Run:
    delivered: int = 0
    failed: int = 0  # attempts that failed in this run
    failing: int = 0  # events whose last attempt failed, after the run
    waiting: int = 0  # events still to deliver, after the run (failing ones included)
    more: bool = False  # stopped at the limit with more due


def _heads(at: datetime, skip: set[int]) -> list[int]:
    """Ids of each department's oldest undelivered event, where it is due and unclaimed."""
    oldest = (WebhookDelivery.select(fn.MIN(WebhookDelivery.id))
              .where(WebhookDelivery.delivered_at.is_null())
              .group_by(WebhookDelivery.department))
    query = (WebhookDelivery.select(WebhookDelivery.id)
             .where(WebhookDelivery.id.in_(oldest),
                    WebhookDelivery.delivered_at.is_null(),
                    WebhookDelivery.next_attempt_at <= at,
                    WebhookDelivery.claimed_until.is_null() | (WebhookDelivery.claimed_until < at)))
    if skip:
        query = query.where(WebhookDelivery.department.not_in(skip))
    return [r.id for r in query.order_by(WebhookDelivery.id)]


def _claim(at: datetime, skip: set[int], timeout: float) -> tuple[str, list[WebhookDelivery]]:
    """Claim the due heads: a lease on each, in one short write transaction."""
    heads = _heads(at, skip)  # first without a lock: nothing due is the usual answer
    if not heads:
        return "", []
    token = uuid.uuid4().hex
    with write_transaction():
        # Only rows that are still heads, due and unclaimed; on PostgreSQL a
        # row another deliverer is claiming this instant is skipped (the
        # department waits for it: no later event is taken instead).
        rows = list(lock_rows(
            WebhookDelivery.select()
            .where(WebhookDelivery.id.in_(heads),
                   WebhookDelivery.delivered_at.is_null(),
                   WebhookDelivery.next_attempt_at <= at,
                   WebhookDelivery.claimed_until.is_null() | (WebhookDelivery.claimed_until < at))
            .order_by(WebhookDelivery.id)))
        if rows:
            (WebhookDelivery.update(claimed_by=token, claimed_until=at + lease(timeout))
             .where(WebhookDelivery.id.in_([r.id for r in rows])).execute())
    return token, rows


def _finish(row: WebhookDelivery, token: str, at: datetime, error: str | None) -> bool:
    """Record one attempt; False if the claim was lost (the lease ran out)."""
    if error is None:
        changes = dict(delivered_at=at, last_error=None)
    else:
        changes = dict(last_error=error[:2000],
                       next_attempt_at=at + timedelta(seconds=backoff(row.attempts + 1)))
    with write_transaction():
        return bool(WebhookDelivery.update(attempts=WebhookDelivery.attempts + 1, last_attempt_at=at,
                                           claimed_by=None, claimed_until=None, **changes)
                    .where(WebhookDelivery.id == row.id, WebhookDelivery.claimed_by == token)
                    .execute())


def _release(rows: list[WebhookDelivery], token: str) -> None:
    if rows:
        with write_transaction():
            (WebhookDelivery.update(claimed_by=None, claimed_until=None)
             .where(WebhookDelivery.id.in_([r.id for r in rows]), WebhookDelivery.claimed_by == token)
             .execute())


def deliver_due(now: datetime | None = None, timeout: float | None = None, limit: int | None = None,
                cancelled: Callable[[], bool] | None = None,
                send: Callable[..., object] = post) -> Run:
    """POST every event that is due, oldest first per department; returns the counts.

    A department whose event fails is left for this run (its later events
    wait). `limit` stops after so many attempts (`Run.more` says whether
    more were due); `cancelled` is asked between attempts; `timeout`:
    seconds per request (default TIMEOUT). `now` fixes the clock (tests);
    otherwise each step reads `clock.now()`."""
    run = Run()
    timeout = TIMEOUT if timeout is None else timeout
    skip: set[int] = set()  # departments whose head failed in this run
    cancelled = cancelled or (lambda: False)

    def when() -> datetime:
        return clock.to_db(now or clock.now())

    with connection():
        while not cancelled() and not run.more:
            token, rows = _claim(when(), skip, timeout)
            if not rows:
                break
            secrets = {h.department_id: (h.url, h.secret) for h in
                       DepartmentWebhook.select().where(DepartmentWebhook.department.in_({r.department_id
                                                                                          for r in rows}))}
            for index, row in enumerate(rows):
                if cancelled() or (limit is not None and run.delivered + run.failed >= limit):
                    run.more = not cancelled()
                    _release(rows[index:], token)
                    break
                if row.department_id not in secrets:  # the webhook was removed meanwhile
                    _release([row], token)
                    skip.add(row.department_id)
                    continue
                url, secret = secrets[row.department_id]
                body = row.body.encode("utf-8")
                try:
                    send(url, body, headers_for(row, body, secret), timeout)
                    error = None
                except Failed as exc:
                    error = str(exc)
                except Exception as exc:  # a send that breaks is a failed attempt, never a crash
                    error = first_line(exc)
                if not _finish(row, token, when(), error):
                    _log.warning("webhook delivery %s: claim lost (the request outlived its lease)", row.id)
                if error is None:
                    run.delivered += 1
                else:
                    run.failed += 1
                    skip.add(row.department_id)
                    _log.info("webhook delivery %s to %s failed: %s", row.id, masked(url), error)
        _prune(when())
        waiting = (WebhookDelivery.select(fn.COUNT(WebhookDelivery.id),
                                          fn.SUM(Case(None, [(WebhookDelivery.attempts > 0, 1)], 0)))
                   .where(WebhookDelivery.delivered_at.is_null()).tuples().first())
        run.waiting, run.failing = int(waiting[0] or 0), int(waiting[1] or 0)
    return run


def _prune(at: datetime) -> None:
    """Delivered rows older than KEEP_DELIVERED go (a role that may not delete leaves them).
    Looked for first: an idle screen takes no write lock every time it looks."""
    if not WebhookDelivery.select().where(WebhookDelivery.delivered_at < at - KEEP_DELIVERED).exists():
        return
    try:
        with write_transaction():
            (WebhookDelivery.delete()
             .where(WebhookDelivery.delivered_at < at - KEEP_DELIVERED).execute())
    except Exception as exc:  # pruning is housekeeping: never worth failing a delivery run
        _log.info("webhook deliveries not pruned: %s", first_line(exc))


# ---- what still waits ----------------------------------------------------------------------


@dataclass(frozen=True)
class Waiting:
    id: int
    delivery_id: str
    department: str
    url: str  # masked
    event: str
    forward_id: int
    event_id: int
    created_at: datetime
    attempts: int
    last_attempt_at: datetime | None
    next_attempt_at: datetime
    last_error: str | None
    state: str  # failing (its last attempt failed) / due (next to go) / queued (behind an earlier one)


def pending() -> list[Waiting]:
    """Every undelivered event, per department (desk order), oldest first."""
    with connection():
        rows = (WebhookDelivery.select(WebhookDelivery, Department.id, Department.name, DepartmentWebhook.url)
                .join_from(WebhookDelivery, Department)
                .join_from(WebhookDelivery, DepartmentWebhook,
                           on=(DepartmentWebhook.department == WebhookDelivery.department), attr="hook")
                .where(WebhookDelivery.delivered_at.is_null())
                .order_by(Department.position, Department.id, WebhookDelivery.id))
        found, seen = [], set()
        for r in rows:
            head = r.department_id not in seen
            seen.add(r.department_id)
            state = "failing" if r.attempts else ("due" if head else "queued")
            found.append(Waiting(
                id=r.id, delivery_id=r.delivery_id, department=r.department.name,
                url=masked(r.hook.url), event=r.event, forward_id=r.forward_id,
                event_id=r.event_id, created_at=clock.from_db(r.created_at), attempts=r.attempts,
                last_attempt_at=clock.from_db(r.last_attempt_at),
                next_attempt_at=clock.from_db(r.next_attempt_at), last_error=r.last_error, state=state))
        return found
