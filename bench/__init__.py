"""Benchmarks of the store, of the HTTP stack and of running code, run from the project root:
`python -m bench.store`, `python -m bench.http` and `python -m bench.runner` (or `nox -s bench`,
`nox -s bench-http`, `nox -s bench-runner`).

They are reports, not tests: each prints medians next to the targets and exits 0 even when a
target is missed; only a benchmark that cannot run (or finds wrong results) exits non-zero.
"""
