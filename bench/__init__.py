"""Benchmarks of the store and of the HTTP stack, run from the project root:
`python -m bench.store` and `python -m bench.http` (or `nox -s bench` / `nox -s bench-http`).

They are reports, not tests: each prints medians next to the targets and exits 0 even when a
target is missed; only a benchmark that cannot run (or finds wrong results) exits non-zero.
"""
