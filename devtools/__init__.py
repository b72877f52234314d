"""What development, tests and benchmarks need and production does not.

Local servers (Redis, Elasticsearch, PostgreSQL, moto S3) started on loopback ports, the
process helpers behind them, `make run` (`python -m devtools.run`), the live-server helpers
that tests of several apps share, and the pytest plugin that starts the suite's servers.
Production code never imports this package and the image does not contain it
(`tests/test_layering.py`, `tests/deploy/test_dockerfile.py`).
"""
