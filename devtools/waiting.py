"""Waiting for an event in tests and benchmarks: poll a condition until it holds, with a
deadline generous enough for a loaded machine (the event, not a sleep, ends the wait)."""

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_until(condition: Callable[[], T], *, timeout: float = 90, interval: float = 0.1) -> T:
    """Poll until `condition()` is truthy and return its value; AssertionError past
    `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not true after {timeout} s: {condition}")
        time.sleep(interval)
