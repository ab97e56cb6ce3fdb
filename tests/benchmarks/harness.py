"""The benchmark harness: discovery, timing helpers and the one output format."""

from __future__ import annotations

import gc
import os
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parents[2]
DATA = Path(os.environ.get("CALLERS_BENCH_DATA", ROOT / "bench-data"))


@dataclass
class Figure:
    name: str
    value: float
    unit: str
    goal: str
    baseline: str = ""
    ok: bool | None = None

    def line(self) -> str:
        value = f"{self.value:,.3f}".rstrip("0").rstrip(".") if isinstance(self.value, float) else f"{self.value:,}"
        text = f"{self.name}: {value} {self.unit} (goal {self.goal})"
        if self.baseline:
            text += f" [baseline {self.baseline}]"
        if self.ok is not None:
            text += " ok" if self.ok else " MISSED"
        return text


@dataclass
class Bench:
    """What a benchmark module writes to."""

    figures: list[Figure] = field(default_factory=list)
    scale: float = 1.0  # CALLERS_BENCH_SCALE: 0.01 for a quick smoke run

    def figure(self, name: str, value: float, unit: str, goal: str, *, baseline: str = "",
               ok: bool | None = None) -> Figure:
        fig = Figure(name, value, unit, goal, baseline, ok)
        self.figures.append(fig)
        print(fig.line(), flush=True)
        return fig

    def note(self, text: str) -> None:
        print(f"  # {text}", flush=True)

    def n(self, full: int, minimum: int = 100) -> int:
        """A size scaled by CALLERS_BENCH_SCALE (full size by default)."""
        return max(minimum, int(full * self.scale))


def timed(fn: Callable[[], object], repeat: int = 1) -> list[float]:
    """Wall times in seconds of `repeat` runs of fn."""
    times = []
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def p95(samples: list[float]) -> float:
    if len(samples) < 2:
        return samples[0]
    return statistics.quantiles(samples, n=20, method="inclusive")[18]


def machine_speed() -> float:
    """Seconds for a fixed pure-Python loop (best of 3): the yardstick that
    lets figures from different machines be compared. The shared 2-core CI
    machine took 0.14-0.34 s on 2026-12-01, when its figures ran 2-2.5 times
    those of an earlier session's machine."""
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        total = 0
        for i in range(1_000_000):
            total += i
        best = min(best, time.perf_counter() - start)
    return best


def ms(seconds: float) -> float:
    return round(seconds * 1000, 3)


def rss_mb() -> float:
    """Peak resident memory of this process so far, in MB (Linux: VmHWM, the
    process image's own peak; ru_maxrss is inherited through fork/exec)."""
    import resource

    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024
