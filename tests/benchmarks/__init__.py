"""Benchmarks: `python -m tests.benchmarks [NAME ...]`.

Each module `bench_<name>.py` here defines `run(bench: Bench) -> None` and
reports figures with `bench.figure(...)`: one line each, `name: value unit
(goal ...)`, with the baseline measured in the same run beside it.
Not collected by pytest (see pyproject's norecursedirs).
"""
