"""`python -m tests.benchmarks [NAME ...]`: run the named benchmarks (default all)."""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import sys
import time

from tests.benchmarks import harness


def available() -> list[str]:
    import tests.benchmarks as pkg

    return sorted(info.name[len("bench_"):] for info in pkgutil.iter_modules(pkg.__path__)
                  if info.name.startswith("bench_"))


def main(argv: list[str] | None = None) -> int:
    names = available()
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks", description=__doc__)
    parser.add_argument("names", nargs="*", metavar="NAME", help=f"any of: {', '.join(names)}")
    parser.add_argument("--scale", type=float, default=float(os.environ.get("CALLERS_BENCH_SCALE", "1")),
                        help="shrink the data sizes (e.g. 0.01 for a quick run); default 1")
    args = parser.parse_args(argv)
    # NAME runs bench_NAME.py and any bench_NAME_*.py (e.g. desk, desk_ui).
    chosen = [n for n in names if not args.names
              or any(n == want or n.startswith(want + "_") for want in args.names)]
    unknown = [w for w in args.names if not any(n == w or n.startswith(w + "_") for n in names)]
    if unknown:
        parser.error(f"unknown benchmark {', '.join(unknown)}; known: {', '.join(names)}")
    bench = harness.Bench(scale=args.scale)
    print(f"# machine: a 1M-step Python loop takes {harness.machine_speed():.3f} s "
          f"(read absolute figures with that in mind; ratios use baselines from this run)", flush=True)
    for name in chosen:
        print(f"== {name}", flush=True)
        start = time.perf_counter()
        importlib.import_module(f"tests.benchmarks.bench_{name}").run(bench)
        print(f"  # {name} took {time.perf_counter() - start:.1f} s", flush=True)
    missed = [f for f in bench.figures if f.ok is False]
    print(f"{len(bench.figures)} figures, {len(missed)} missed their goal")
    return 0


if __name__ == "__main__":
    sys.exit(main())
