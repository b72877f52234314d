"""`make test`'s pytest runs: each database's pass in two steps, and the time of each.

    python -m devtools.test_suite [--databases sqlite postgresql]
                                  [--lanes unit live faults browser] [-- PYTEST_ARGS...]

A pass runs the `unit` lane on every core (pytest-xdist), then the other lanes it was given
(`live`, `faults`, `browser`) in one serial pytest run. The SQLite pass runs every test; the
PostgreSQL pass (a throwaway cluster, devtools.postgres_server) runs the tests marked
`engine` or `database("postgresql")`: devtools.pytest_plugin selects them and sets each
test's lane. The exit code is 0 only when every step passed (or had nothing to run).
"""

import argparse
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from devtools.lanes import LANES
from devtools.postgres_server import PostgresUnavailable, start_postgres_server

DATABASES = ("sqlite", "postgresql")
# pytest's exit code when a selection has no test (a lane with none on this database).
NO_TESTS_COLLECTED = 5


@dataclass
class Step:
    database: str
    lanes: tuple[str, ...]
    seconds: float
    exit_code: int

    @property
    def passed(self) -> bool:
        return self.exit_code in (0, NO_TESTS_COLLECTED)

    def __str__(self) -> str:
        outcome = "passed" if self.passed else f"FAILED (exit code {self.exit_code})"
        return f"{self.database:<10} {' + '.join(self.lanes):<24} {self.seconds:7.1f} s  {outcome}"


def pytest_command(lanes: Sequence[str], pytest_args: Sequence[str]) -> list[str]:
    parallel = ["-n", "auto"] if tuple(lanes) == ("unit",) else []
    return [sys.executable, "-m", "pytest", "-m", " or ".join(lanes), *parallel, *pytest_args]


def lane_groups(lanes: Sequence[str]) -> list[tuple[str, ...]]:
    """The unit lane on its own (in parallel), then the serial lanes in one run."""
    serial = tuple(lane for lane in lanes if lane != "unit")
    return [group for group in (("unit",) if "unit" in lanes else (), serial) if group]


def run_pass(
    database: str, lanes: Sequence[str], pytest_args: Sequence[str], env: Mapping[str, str]
) -> list[Step]:
    steps = []
    for group in lane_groups(lanes):
        print(f"\n=== {database}: {' + '.join(group)} ===", flush=True)
        started = time.monotonic()
        exit_code = subprocess.run(  # noqa: S603 - our own argv
            pytest_command(group, pytest_args), env=env, check=False
        ).returncode
        steps.append(Step(database, group, time.monotonic() - started, exit_code))
    return steps


@contextmanager
def database_environment(database: str) -> Iterator[dict[str, str]]:
    """This process's environment for the pass on `database` (PostgreSQL: a fresh cluster,
    stopped at the end)."""
    env = {name: value for name, value in os.environ.items() if name != "DATABASE_URL"}
    if database == "sqlite":
        yield env
        return
    server = start_postgres_server()
    try:
        yield {**env, "DATABASE_URL": server.url()}
    finally:
        server.stop()


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--databases", nargs="+", choices=DATABASES, default=list(DATABASES))
    parser.add_argument("--lanes", nargs="+", choices=LANES, default=list(LANES))
    parser.add_argument("pytest_args", nargs="*", help="passed on to every pytest run")
    options = parser.parse_args(argv)
    # A CI runner cancelling the job sends SIGTERM: unwind so that a cluster stops too.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    started = time.monotonic()
    steps: list[Step] = []
    for database in options.databases:
        try:
            with database_environment(database) as env:
                steps += run_pass(database, options.lanes, options.pytest_args, env)
        except PostgresUnavailable as exc:
            print(exc, file=sys.stderr)
            steps.append(Step(database, ("cluster",), 0.0, 1))
    print("\n=== the suite's passes ===")
    for step in steps:
        print(step)
    print(f"{'all':<35} {time.monotonic() - started:7.1f} s")
    return 0 if all(step.passed for step in steps) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
