"""Making the demo's rows as plain tuples: customers with their contacts,
120 days of calls, features and forwards with their events.

The due-queue columns are not drawn at random: each customer's calls are
replayed through the same rules `callers.calls.end_call` applies (90-day
cycle after a completed call, retries after no answer / voicemail / busy,
parked after `max_attempts`, callbacks, wrong numbers, do not call). Ids are
precomputed (`ids`, the next id of each table), so the rows need no
round-trips for foreign keys; `callers.demo.writer` writes them.
"""

from __future__ import annotations

import bisect
import random
from datetime import datetime, timedelta

from callers import hours, settings
from callers.demo.draws import DAY, Draws, aware, cumulative, epoch
from callers.demo.vocabulary import (
    ACCOUNT_MANAGERS,
    BUYER_TITLES,
    CALLBACK_NOTES,
    CALLERS,
    COMPLETED_NOTES,
    COUNTRIES,
    DEPARTMENT_PEOPLE,
    DNC_NOTES,
    FAILURE_CUM,
    FAILURES,
    FORWARD_NOTES,
    GIFT_RESTRICTIONS,
    INDUSTRIES,
    INDUSTRY_WEIGHTS,
    LOOP_WORDS,
    OTHER_TITLES,
    REF_CONDITIONS,
    RESOLUTIONS,
    RETURN_REASONS,
    SCENARIO_WEIGHTS,
    SCENARIOS,
    USER_TITLES,
    WITHDRAW_REASONS,
    WRONG_NOTES,
)
from callers.due import DUE_PARKED
from callers.queue import ROLE_ORDER
from models.vocabulary import DUE_CALLBACK, DUE_NEVER_REACHED, DUE_OVERDUE, FORWARD_RESOLVED

# Bump when the generator makes different rows for the same seed (benchmark
# databases cached in bench-data/ are then rebuilt).
VERSION = 4  # 4: "was it fixed?" answered on the next call (forward_event.call_id, forward.reopened)

HISTORY_DAYS = 120
FORWARDS_PER_CUSTOMER = 0.4  # default forward count: 120 for 300 customers
SOURCE = "demo"


class Generator(Draws):
    def __init__(self, customers: int, seed: int, calls_per_customer: float, forwards: int,
                 now: datetime) -> None:
        super().__init__(customers, seed, now)
        self.values = settings.get_all()
        self.cycle = int(self.values["cycle_days"]) * DAY
        self.max_attempts = int(self.values["max_attempts"])
        self.rules = hours.Hours.from_settings(self.values)
        self.forward_rate = forwards / customers if customers else 0.0
        self.forward_debt = 0.0
        self.forwards_left = forwards
        # Failed attempts before each completed call: the base plan below makes
        # about 1.6 calls and 0.7 completed calls per customer; the mean number
        # of failures before a success is steered customer by customer so that
        # the calls made follow `calls_per_customer` (as far as 120 days allow).
        self.calls_target = float(calls_per_customer)
        self.base_extra = max(0.0, (self.calls_target - 1.6) / 0.7)
        self.calls_made = 0
        self.customers_made = 0
        self.retry_p = self.base_extra / (1.0 + self.base_extra)
        self.country_cum = cumulative([COUNTRIES[c][0] for c in self.country_codes])
        self.industry_cum = cumulative(INDUSTRY_WEIGHTS)
        self.scenario_cum = cumulative(SCENARIO_WEIGHTS)
        self.ids: dict[str, int] = {}  # the next id of each table
        self.chunk_rows: dict[str, list] = {}
        self.feature_ids: list[int] = []
        self.departments: dict[str, int] = {}  # kind -> id
        self.last_completed: tuple | None = None  # (customer id, AM, completed call) for leftover forwards

    # -- the call history's draws --

    def _failure(self) -> str:
        return FAILURES[bisect.bisect_left(FAILURE_CUM, self.rng.random())]

    def _fails(self, lo: int, hi: int, k: int) -> list[int]:
        """k attempt days (days ago) in (lo, hi], closest to lo first."""
        out, day = [], lo
        r = self.rng.random
        for _ in range(k):
            day += 1 + int(r() * r() * 4)
            if day > hi:
                break
            out.append(day)
        return out

    def _geometric(self, cap: int = 12) -> int:
        k, r, p = 0, self.rng.random, self.retry_p
        while k < cap and r() < p:
            k += 1
        return k

    # -- one customer --

    def customer(self) -> None:
        rng, r = self.rng, self.rng.random
        fmt, now = self.fmt, self.now
        rows = self.chunk_rows
        deficit = self.calls_target * self.customers_made - self.calls_made
        extra = min(12.0, max(0.0, self.base_extra + 0.25 * deficit))
        self.retry_p = extra / (1.0 + extra)
        calls_before = self.ids["call"]
        self.customers_made += 1
        cid = self.ids["customer"]
        self.ids["customer"] += 1

        code = self.country_codes[bisect.bisect_left(self.country_cum, r())]
        lang = COUNTRIES[code][1]
        name = self._company(code, lang)
        industry = INDUSTRIES[bisect.bisect_left(self.industry_cum, r())]
        employees = self._employees()
        am_names = ACCOUNT_MANAGERS["am"]
        pair = ACCOUNT_MANAGERS[code]
        am = am_names[pair[0] if r() < 0.7 else (pair[1] if r() < 0.8 else int(r() * len(am_names)))]
        purchased = now - int((0.35 + r() * 5.6) * 365 * DAY)
        created = now - (HISTORY_DAYS + 1) * DAY - int(r() * 60 * DAY)
        scenario = SCENARIOS[bisect.bisect_left(self.scenario_cum, r())]
        gift = self._pick(GIFT_RESTRICTIONS) if industry == "Public sector" and r() < 0.6 else None

        # Contacts: buyers first, then users, then others (the queue's order).
        roll = r()
        n_contacts = 1 if roll < 0.22 else 2 if roll < 0.62 else 3 if roll < 0.88 else 4
        roles = ["buyer"] + [("buyer" if r() < 0.15 else "user" if r() < 0.9 else "other")
                             for _ in range(n_contacts - 1)]
        roles.sort(key=ROLE_ORDER.__getitem__)
        domain = f"{self._slug(self._key(name).split(' ')[0])}.{COUNTRIES[code][2]}"
        fixed, mobile = self.fixed[code], self.mobile[code]
        switchboard = fixed[int(r() * len(fixed))]
        contacts = []  # [id, name, role, title, phone, ext, alt, email, tz, dnc, active, unreachable]
        for j, role in enumerate(roles):
            full, first, last = self._person(lang)
            title = self._pick(BUYER_TITLES if role == "buyer" else USER_TITLES if role == "user" else OTHER_TITLES)
            ext = alt = None
            if scenario == "needs_number" and j > 0:
                phone, tz = None, None  # known by e-mail only
            else:
                roll = r()
                if roll < 0.25 and code in ("US", "GB", "DE", "CA", "CH", "AT", "NL"):
                    phone, tz = switchboard
                    ext = str(100 + int(r() * 800))
                elif roll < 0.88:
                    phone, tz = fixed[int(r() * len(fixed))]
                else:
                    phone, tz = mobile[int(r() * len(mobile))]
                if r() < 0.2:
                    alt = mobile[int(r() * len(mobile))][0]
            email = f"{self._slug(first)}.{self._slug(last)}@{domain}"
            active = j == 0 or r() > 0.06
            dnc = j > 0 and active and r() < 0.03
            contacts.append([self.ids["contact"], full, role, title, phone, ext, alt, email, tz, dnc,
                             active, False])
            self.ids["contact"] += 1

        def callable_now():
            for c in contacts:
                if c[4] is not None and c[10] and not c[9] and not c[11]:
                    return c
            return None

        first_callable = callable_now()
        offset = self._offset(first_callable[8] if first_callable else None)

        # The plan: (days ago, outcome), oldest first, ending the way the scenario ends.
        W = HISTORY_DAYS - 1
        plan: list[tuple[int, str]] = []

        def completed_at(day: int, floor: int) -> None:
            """A completed call `day` days ago, after failed attempts back to `floor`."""
            for d in reversed(self._fails(day, floor, self._geometric())):
                plan.append((d, self._failure()))
            plan.append((day, "completed"))

        def reached_before(shift: int) -> bool:
            """Overdue history (last completed 90-119 days before `shift`)."""
            top = W - shift
            if top < 90:
                return False
            day = 90 + int(r() * (top - 89))
            completed_at(day + shift, W)
            return True

        # (The first contact always has a number, so there is always someone to call.)
        if scenario == "recent":
            day = int(r() * 90)
            if day + 90 <= W and r() < 0.75:
                earlier = day + 90 + int(r() * min(10, W - day - 90 + 1))
                completed_at(earlier, W)
                completed_at(day, earlier - 90)
            else:
                completed_at(day, W)
        elif scenario == "overdue":
            day = 90 + int(r() * (W - 89))
            completed_at(day, W)
            post = self._fails(-1, day - 91, int(r() * r() * 4)) if day > 90 else []
            for d in sorted(post, reverse=True):
                plan.append((d, self._failure()))
        elif scenario == "never":
            roll = r()
            k = 0 if roll < 0.45 else 1 + int(r() * 5)
            for d in sorted(self._fails(-1, W, k), reverse=True):
                plan.append((d, self._failure()))
        elif scenario == "unreachable":
            days = sorted(self._fails(-1, W, self.max_attempts), reverse=True)
            while len(days) < self.max_attempts:
                days.append(0)
            plan.extend((d, self._failure()) for d in days)
        else:  # callback / needs_number / do_not_call: some history, then that outcome
            last = int(r() * (5 if scenario == "callback" else 30))
            if r() < 0.5:
                reached_before(last + 1)
            for d in sorted(self._fails(last, W, int(r() * 3)), reverse=True):
                plan.append((d, self._failure()))
            plan.append((last, {"needs_number": "wrong_number"}.get(scenario, scenario)))

        # Now and then the first number tried was wrong and the next contact took over.
        if (scenario in ("recent", "overdue", "never") and plan and r() < 0.08
                and sum(1 for c in contacts if c[4] and c[10] and not c[9]) >= 2):
            first_day = plan[0][0]
            if first_day < W:
                plan.insert(0, (first_day + 1 + int(r() * (W - first_day)), "wrong_number"))

        # Replay the plan through the outcome rules (callers.calls.outcome_schedule).
        times = sorted(self._slot(d, offset) for d, _ in plan)
        calls = rows["call"]
        completed_calls: list[tuple[int, int, int, int, str]] = []  # (call id, contact id, start, end, caller)
        attempts = 0
        cycle_start = None
        last_reached = None
        last_end = None
        rank = DUE_NEVER_REACHED
        next_due: int | None = created
        callback_at = None
        needs_number = unreachable = do_not_call = False
        caller = self._pick(CALLERS)
        for at, (_, outcome) in zip(times, plan):
            contact = callable_now()
            if contact is None:
                break
            if r() < 0.3:
                caller = self._pick(CALLERS)
            call_id = self.ids["call"]
            self.ids["call"] += 1
            shown = at - 5 - int(r() * 40)
            started = None
            note = None
            cb = None
            if outcome == "completed":
                started = at
                if r() < 0.13:
                    length = 300 + int(rng.expovariate(1 / 100.0))
                else:
                    length = max(70, int(rng.gauss(175, 40)))
                if r() < 0.25:
                    note = self._pick(COMPLETED_NOTES)
            elif outcome in FAILURES:
                length = 15 + int(r() * 45) if outcome != "busy" else 5 + int(r() * 10)
            else:
                started = at
                length = 25 + int(r() * 70)
                note = self._pick(CALLBACK_NOTES if outcome == "callback" else
                                  WRONG_NOTES if outcome == "wrong_number" else DNC_NOTES)
            end = at + length
            if end >= now:
                end = now - 1
            if outcome == "callback":
                cb = self._callback_time(end, offset)
            calls.append((call_id, cid, contact[0], caller, fmt(shown), fmt(started), fmt(end), outcome,
                          fmt(cb), note, None, contact[8], code))
            last_end = end
            if cycle_start is None:
                cycle_start = end
            callback_at = None
            if outcome == "completed":
                attempts, last_reached, cycle_start = 0, end, end
                rank, next_due, unreachable = DUE_OVERDUE, end + self.cycle, False
                completed_calls.append((call_id, contact[0], at, end, caller))
            elif outcome == "callback":
                rank, next_due, callback_at = DUE_CALLBACK, cb, cb
            elif outcome == "do_not_call":
                do_not_call, next_due = True, None
            elif outcome == "wrong_number":
                contact[11] = True
                rank = DUE_OVERDUE if last_reached else DUE_NEVER_REACHED
                next_due = end
                if callable_now() is None:
                    needs_number, next_due = True, None
            else:
                attempts += 1
                rank = DUE_OVERDUE if last_reached else DUE_NEVER_REACHED
                if attempts >= self.max_attempts:
                    unreachable, rank = True, DUE_PARKED
                    next_due = max(cycle_start + self.cycle, end)
                else:
                    next_due = None  # worked out below, for the last call only
                    last_failure = (outcome, end)
        best = callable_now()
        call_tz = (best[8] or None) if best else None
        if next_due is None and not (needs_number or do_not_call):
            next_due = self._retry(*last_failure, call_tz)
        if do_not_call:
            next_due = None
        reached = last_reached is not None
        confirmed = fmt(last_reached) if reached else None

        # Profile facts, confirmed on the last completed call.
        impl = impl_changed = None
        refs: list[str | None] = [None] * 5
        ref_condition = None
        if reached:
            roll = r()
            impl = ("live" if roll < 0.55 else "in_progress" if roll < 0.75 else
                    "stalled" if roll < 0.87 else "not_started")
            impl_changed = last_reached if r() < 0.25 else last_reached - int(r() * 400 * DAY)
            roll = r()
            if roll < 0.15 and impl == "live":
                refs = ["yes", "yes" if r() < 0.7 else "not_now", "yes" if r() < 0.4 else "no",
                        "yes" if r() < 0.5 else "no", "yes" if r() < 0.3 else "not_now"]
            elif roll < 0.40:
                refs = ["yes", "not_now" if r() < 0.5 else "no", "no", "no" if r() < 0.7 else "yes", "no"]
            elif roll < 0.52:
                refs = ["not_now"] * 5
            else:
                refs = ["no"] * 5
            if refs[0] == "yes" and r() < 0.3:
                ref_condition = self._pick(REF_CONDITIONS)

        created_text, updated_text = fmt(created), fmt(last_end or created)
        rows["customer"].append((
            cid, f"C-{cid:07d}", name, self._key(name), industry, employees, code, am,
            do_not_call, fmt(purchased), SOURCE, gift, created_text, updated_text,
            impl, fmt(impl_changed), confirmed,
            refs[0], refs[1], refs[2], refs[3], refs[4], ref_condition,
            confirmed, confirmed, confirmed,
            fmt(next_due), rank, fmt(callback_at), best[0] if best else None, call_tz,
            attempts, fmt(cycle_start), fmt(last_end), fmt(last_reached), needs_number, unreachable, None, None,
        ))
        contact_rows = rows["contact"]
        for c in contacts:
            contact_rows.append((c[0], cid, c[1], c[2], c[3], c[4], c[5], c[6], None, c[7], c[8] or None,
                                 f"P-{c[0]:07d}", c[9], c[10], c[11], confirmed, created_text, updated_text))

        if reached and impl != "not_started":
            k = (2 + int(r() * 7) if impl == "live" else int(r() * 4) if impl == "in_progress"
                 else int(r() * 3))
            if k:
                features = rows["customer_feature"]
                for index in sorted(rng.sample(range(min(len(self.feature_ids), k + 4)), k)):
                    features.append((self.ids["customer_feature"], cid, self.feature_ids[index],
                                     r() > 0.08, confirmed))
                    self.ids["customer_feature"] += 1

        # Forwards: a steady share per customer, raised on completed calls.
        self.forward_debt += self.forward_rate
        if completed_calls and self.forward_debt >= 1 and self.forwards_left > 0:
            count = min(int(self.forward_debt), 3 * len(completed_calls), self.forwards_left)
            for i in range(count):
                at = -1 - (i % len(completed_calls))
                if at == -1 and len(completed_calls) > 1 and random.Random(cid * 7 + i).random() < 0.6:
                    at = -2  # raised a call earlier: the last call asked whether it was fixed
                self._forward(cid, am, completed_calls[at], completed_calls[len(completed_calls) + at + 1:])
            self.forward_debt -= count
            self.forwards_left -= count
        if completed_calls:
            self.last_completed = (cid, am, completed_calls[-1])
        self.calls_made += self.ids["call"] - calls_before

    def _callback_time(self, end: int, offset: int) -> int:
        r = self.rng.random
        days = (0, 1, 1, 2, 3, 5, 7)[int(r() * 7)]
        local_day = (end + offset) // DAY + days
        while (local_day + 3) % 7 >= 5:
            local_day += 1
        at = local_day * DAY + 9 * 3600 + int(r() * 7 * 3600) // 900 * 900 - offset
        if at <= end:
            at = end + 2 * 3600
        return at

    def _retry(self, outcome: str, end: int, key: str | None) -> int:
        at = aware(end)
        if outcome == "voicemail":
            nxt = hours.next_working_day(key, at, self.rules)
        elif outcome == "busy":
            nxt = hours.roll_into_window(key, at + timedelta(minutes=float(self.values["retry_busy_minutes"])),
                                         self.rules)
        else:
            nxt = hours.roll_into_window(
                key, at + timedelta(minutes=float(self.values["retry_no_answer_minutes"])), self.rules)
        return epoch(nxt)

    def _forward(self, cid: int, am: str, call: tuple[int, int, int, int, str],
                 later: list[tuple[int, int, int, int, str]] = ()) -> None:
        """A forward raised on `call`; `later`: the customer's completed calls
        after it, where a forward done before one of them is asked about
        ("Was it fixed?", callers/loop.py)."""
        r = self.rng.random
        fmt, now = self.fmt, self.now
        call_id, contact_id, started, ended, caller = call
        roll = r()
        kind = "support" if roll < 0.45 else "billing" if roll < 0.80 else "account_manager"
        if kind not in self.departments:
            kind = next(iter(self.departments))
        dept_id = self.departments[kind]
        fid = self.ids["forward"]
        self.ids["forward"] += 1
        created = started + max(10, int((ended - started) * (0.3 + 0.5 * r())))
        age = (now - created) / DAY
        roll = r()
        if age < 2:
            status = "open" if roll < 0.6 else "acknowledged" if roll < 0.9 else "done"
        elif age < 14:
            status = ("open" if roll < 0.25 else "acknowledged" if roll < 0.5 else "done" if roll < 0.9
                      else "returned" if roll < 0.97 else "withdrawn")
        else:
            status = ("open" if roll < 0.08 else "acknowledged" if roll < 0.16 else "done" if roll < 0.84
                      else "returned" if roll < 0.95 else "withdrawn")
        people = DEPARTMENT_PEOPLE.get(kind, DEPARTMENT_PEOPLE["other"])
        member = am if kind == "account_manager" else self._pick(people)
        assignee = am if kind == "account_manager" else None
        note = self._pick(FORWARD_NOTES.get(kind, FORWARD_NOTES["other"]))
        events = self.chunk_rows["forward_event"]

        def event(status_: str, at: int, by: str, text: str | None, on_call: int | None = None) -> None:
            events.append((self.ids["forward_event"], fid, status_, fmt(at), by, text, on_call))
            self.ids["forward_event"] += 1

        event("open", created, caller, note)
        ack_at = ack_by = resolved_at = resolved_by = resolution = None
        span = max(60, now - created - 60)
        if status in ("acknowledged", "done") or (status == "returned" and r() < 0.5):
            ack_at = created + min(span // 2, 1800 + int(r() * r() * 3 * DAY))
            ack_by = assignee = member
            event("acknowledged", ack_at, member, None)
        if status in FORWARD_RESOLVED:
            start = ack_at or created
            resolved_at = start + max(60, min(now - start - 30, 3600 + int(r() * r() * 12 * DAY)))
            if status == "done":
                resolved_by = member
                resolution = self._pick(RESOLUTIONS.get(kind, RESOLUTIONS["other"]))
            elif status == "returned":
                resolved_by = member
                resolution = self._pick(RETURN_REASONS)
            else:
                resolved_by = caller
                resolution = self._pick(WITHDRAW_REASONS)
            event(status, resolved_at, resolved_by, resolution)
        reopened = 0
        asked = next((c for c in later if c[2] > resolved_at), None) if status == "done" else None
        if asked is not None:
            # The next completed call asked "Was it fixed?". Drawn from a stream
            # of the forward's own, so the rest of the demo stays as it was.
            roll = random.Random(fid).random()
            answer = "fixed" if roll < 0.74 else "partly_fixed" if roll < 0.9 else "reopened"
            event(answer, asked[2] + 20, asked[4], None if answer == "fixed" else self._pick_loop_words(fid), asked[0])
            if answer == "reopened":
                status, reopened = "open", 1
                ack_at = ack_by = resolved_at = resolved_by = resolution = None
        self.chunk_rows["forward"].append((
            fid, cid, call_id, contact_id, caller, dept_id, assignee, note, status, fmt(created),
            fmt(ack_at), ack_by, fmt(resolved_at), resolved_by, resolution, reopened))

    @staticmethod
    def _pick_loop_words(fid: int) -> str:
        return LOOP_WORDS[random.Random(-fid).randrange(len(LOOP_WORDS))]
