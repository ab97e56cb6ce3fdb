"""The report as JSON, CSV and text (the CLI's formats); the text helpers the
supervisor screen shares."""

from __future__ import annotations

import io
import json
from dataclasses import asdict
from datetime import datetime, timezone

from callers import csvout, cycle, nps, steptime
from callers import value as earnings
from callers.report import answer_hours
from callers.report.customers import FACTS
from callers.report.figures import FeatureFigures, Report
from callers.report.sums import _share
from models.tables import REFERENCE_KINDS


def _iso(value: datetime) -> str:
    return value.astimezone(timezone.utc).isoformat(timespec="seconds")


def to_dict(report: Report) -> dict:
    """The JSON shape documented in the README."""
    departments = []
    for d in report.departments:
        item = asdict(d)
        departments.append(item)
    coverage = asdict(report.coverage)
    coverage["cycle_needs"] = cycle.to_dict(report.cycle) if report.cycle else None
    calls = asdict(report.calls)
    calls["answer_rate_by_local_hour"] = [answer_hours.as_dict(c) for c in report.answer_hours]
    return {
        "period": {"since": _iso(report.period.since), "until": _iso(report.period.until),
                   "days": round(report.period.days, 2)},
        "generated_at": _iso(report.generated_at),
        "departments": departments,
        "coverage": coverage,
        "calls": calls,
        "callers": [asdict(c) for c in report.callers],
        "freshness": asdict(report.freshness),
        "features": [asdict(f) for f in report.features],
        "live_customers": report.live_customers,
        "references": dict(report.references),
        "implementation": dict(report.implementation),
        "nps": report.nps,
        "value": earnings.to_dict(report.value) if report.value else None,
    }


def to_json(report: Report) -> str:
    return json.dumps(to_dict(report), indent=2)


def _csv_value(value):
    """A figure as the CSV cell: numbers stay numbers (`callers.csvout`)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return " ".join(str(v) for v in value)
    return value


def to_csv(report: Report) -> str:
    """One long table: section, item, figure, value (easy to pivot)."""
    out = io.StringIO()
    writer = csvout.CsvWriter(out, ["section", "item", "figure", "value"])
    row = writer.row
    data = to_dict(report)
    for key, value in data["period"].items():
        row(["period", "", key, _csv_value(value)])
    for d in data["departments"]:
        for key, value in d.items():
            if key != "name":
                row(["departments", d["name"], key, _csv_value(value)])
    for key, value in data["coverage"].items():
        if key != "cycle_needs":
            row(["coverage", "", key, _csv_value(value)])
    for key, value in (data["coverage"]["cycle_needs"] or {}).items():
        if key != "zones":
            row(["coverage", "cycle_needs", key, _csv_value(value)])
    for key, value in (data["value"] or {}).items():
        for item, figure in (value.items() if isinstance(value, dict) else [("", value)]):
            row(["value", key if item else "", item or key, _csv_value(figure)])
    for key, value in data["calls"].items():
        if key == "outcomes":
            for outcome, n in value.items():
                row(["calls", outcome, "count", n])
        elif key == "steps":
            for step, seconds in value.get("median_seconds", {}).items():
                row(["steps", step, "median_seconds", _csv_value(seconds)])
            row(["steps", "", "most_often_over_target", _csv_value(value.get("over_target", {}).get("most_often"))])
        elif key == "answer_rate_by_local_hour":
            for country in value:
                for hour in country["hours"]:
                    item = f"{country['country'] or 'unknown'} {hour['hour']:02d}h"
                    row(["answer_rate_by_local_hour", item, "attempts", hour["attempts"]])
                    row(["answer_rate_by_local_hour", item, "answered", hour["answered"]])
        else:
            row(["calls", "", key, _csv_value(value)])
    for c in data["callers"]:
        for key, value in c.items():
            if key != "name":
                row(["callers", c["name"], key, _csv_value(value)])
    fresh = data["freshness"]
    row(["freshness", "", "customers", fresh["customers"]])
    for fact in FACTS:
        for key, value in fresh[fact].items():
            row(["freshness", fact, key, _csv_value(value)])
    for key, value in fresh["decay"].items():
        row(["freshness", "decay", key, _csv_value(value)])
    row(["features", "", "live_customers", data["live_customers"]])
    for f in data["features"]:
        row(["features", f["name"], "customers", f["customers"]])
        row(["features", f["name"], "share", _csv_value(f["share"])])
    for key, value in data["references"].items():
        row(["references", "", key, value])
    for key, value in data["implementation"].items():
        row(["implementation", "", key, value])
    for key, value in (data["nps"] or {}).items():
        row(["nps", "", key, _csv_value(value)])
    return out.getvalue()


def features_csv(rows) -> str:
    """`callers report features --format csv`: feature, customers, share."""
    out = io.StringIO()
    csvout.write(out, ["feature", "customers", "share"], ([f.name, f.customers, f.share] for f in rows))
    return out.getvalue()


DASH = "—"


def num(value, suffix: str = "") -> str:
    if value is None:
        return DASH
    if isinstance(value, float):
        text = f"{value:,.1f}".rstrip("0").rstrip(".") if value != int(value) else f"{int(value):,}"
        return text + suffix
    return f"{value:,}{suffix}"


def pct(share: float | None) -> str:
    return DASH if share is None else f"{share * 100:.0f}%"


def mmss(seconds: int | float | None) -> str:
    if seconds is None:
        return DASH
    seconds = int(round(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}"


def days(value: float | None) -> str:
    return DASH if value is None else f"{value:.1f} d"


def to_text(report: Report) -> str:
    r = report
    lines = [f"callers report, {r.period.describe()}", ""]
    lines.append("Departments (worst first)")
    lines.append(f"  {'department':<22}{'forwarded':>10}{'per 100':>9}{'open':>9}{'oldest':>9}"
                 f"{'median':>9}{'returned':>10}")
    if not r.departments:
        lines.append("  no departments")
    for d in r.departments:
        mark = {"growing": "  ▲ growing", "shrinking": "  ▼ shrinking"}.get(d.direction or "", "")
        lines.append(f"  {d.name[:21]:<22}{d.forwarded:>10,}{num(d.per_100_calls):>9}{d.open:>9,}"
                     f"{days(d.oldest_open_days):>9}{days(d.median_days_to_done):>9}{d.returned:>10,}{mark}")
    lines += ["", "Was it fixed? (the customers' answers on the next call)",
              f"  {'department':<22}{'done':>10}{'fixed':>9}{'partly':>9}{'reopened':>10}{'fixed rate':>12}"]
    for d in r.departments:
        lines.append(f"  {d.name[:21]:<22}{d.done:>10,}{d.confirmed_fixed:>9,}{d.partly_fixed:>9,}"
                     f"{d.reopened:>10,}{pct(d.confirmed_fixed_rate):>12}")
    c = r.coverage
    lines += ["", f"Coverage (cycle of {c.cycle_days} days, now)",
              f"  customers            {c.customers:>10,}",
              f"  reached in cycle     {c.reached_in_cycle:>10,}  {pct(_share(c.reached_in_cycle, c.customers - c.do_not_call))}",
              f"  overdue              {c.overdue:>10,}",
              f"  never reached        {c.never_reached:>10,}",
              f"  unreachable          {c.unreachable:>10,}",
              f"  needs a number       {c.needs_number:>10,}",
              f"  do not call          {c.do_not_call:>10,}",
              f"  days to reach everyone at the current pace: {num(c.days_to_reach_everyone)}"
              f" (promise: {c.cycle_days}; {num(c.completed_per_day)} completed a day)"]
    lines += cycle.text_lines(r.cycle) if r.cycle else []
    k = r.calls
    lines += ["", "Calls",
              f"  calls                {k.count:>10,}",
              f"  completed            {k.completed:>10,}",
              f"  not reached          {k.not_reached:>10,}",
              f"  median length        {mmss(k.median_seconds):>10}  (target {mmss(k.target_seconds)})",
              f"  over target          {pct(k.over_target_share):>10}",
              f"  over 5 minutes       {pct(k.over_5_minutes_share):>10}"]
    if k.steps:
        lines += steptime.text_lines(steptime.from_dict(k.steps))
    if r.callers:
        lines.append(f"  {'caller':<22}{'calls':>10}{'completed':>11}{'not reached':>13}{'median':>8}{'over':>6}")
        for p in r.callers:
            lines.append(f"  {p.name[:21]:<22}{p.count:>10,}{p.completed:>11,}{p.not_reached:>13,}"
                         f"{mmss(p.median_seconds):>8}{pct(p.over_target_share):>6}")
    lines += answer_hours.text_lines(r.answer_hours)
    f = r.freshness
    lines += ["", f"Freshness (confirmed within the cycle, of {f.customers:,} customers we call)"]
    for fact in FACTS:
        item = getattr(f, fact)
        lines.append(f"  {fact:<20} {pct(item.share):>10}  ({item.fresh:,})")
    d = f.decay
    lines.append(f"  decay: {pct(d.per_month) if d.per_month is None else f'{d.per_month * 100:.1f}%'} a month measured"
                 f" ({d.gone:,} gone, {d.wrong_number:,} wrong numbers of {d.contacts:,} contacts);"
                 f" rule of thumb {d.rule_of_thumb * 100:.0f}%")
    lines += ["", "What the calls found", "  implementation: " + ", ".join(
        f"{state.replace('_', ' ')} {n:,}" for state, n in r.implementation.items())]
    lines.append("  referenceable: " + f"{r.references['referenceable']:,} customers; " + ", ".join(
        f"{kind.replace('_', ' ')} {r.references[kind]:,}" for kind in REFERENCE_KINDS))
    if r.nps and (r.nps["enabled"] or r.nps["responses"]):
        lines.append("  " + nps.Nps(**r.nps).text())
    lines.append(f"  features in production (of {r.live_customers:,} live customers):")
    if not r.features:
        lines.append("    no features")
    for feat in r.features:
        lines.append(f"    {feat.name[:30]:<32}{feat.customers:>8,}  {pct(feat.share):>5}")
    if r.value:
        lines += ["", f"What the function earns (this quarter: since {r.value.quarter_since:%Y-%m-%d})",
                  *earnings.text_lines(r.value)]
    return "\n".join(lines) + "\n"


def features_text(rows: list[FeatureFigures], live: int) -> str:
    lines = [f"Features in production, among {live:,} live customers", ""]
    if not rows:
        lines.append("no features")
    for feat in rows:
        lines.append(f"{feat.name[:40]:<42}{feat.customers:>8,}  {pct(feat.share):>5}")
    return "\n".join(lines) + "\n"
