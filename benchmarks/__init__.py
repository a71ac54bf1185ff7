"""Benchmark program of the analytics package: ``python -m benchmarks --help``.

It measures batch ingest, 30-day reads, cost-anomaly detection and the memory
of the ``analytics ingest`` command on SQLite and Postgres, side by side, and
writes ``BENCHMARKS.md`` and ``benchmarks/results.json``. It is not part of
the test suite; ``tests/integration/test_benchmark_smoke.py`` only checks that
a tiny run produces every figure.
"""
