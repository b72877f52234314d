"""The fault suite's fixtures: real processes with short healing intervals, and the time each
fault took to heal, checked against the limit and printed at the end of the run."""

from collections.abc import Callable

import pytest

from tests.faults.live import FAST_HEALING

# Every fault heals without an operator within this many seconds.
HEAL_LIMIT_SECONDS = 60

_timings: list[tuple[str, float]] = []


@pytest.fixture
def fault_env(live_server_env: dict[str, str]) -> dict[str, str]:
    """The environment of the daphne and worker processes a fault test starts."""
    return {**live_server_env, **FAST_HEALING}


@pytest.fixture
def heal_time(request: pytest.FixtureRequest) -> Callable[[float], None]:
    """Record how long the fault took to heal (seconds) and check it against the limit."""

    def record(seconds: float) -> None:
        _timings.append((request.node.nodeid.split("::")[-1], seconds))
        request.node.user_properties.append(("heal_seconds", round(seconds, 2)))
        assert seconds < HEAL_LIMIT_SECONDS, f"healed in {seconds:.1f} s, over the limit"

    return record


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _timings:
        terminalreporter.section("time to heal (tests/faults)")
        for name, seconds in _timings:
            terminalreporter.write_line(f"{seconds:6.1f} s  {name}")
