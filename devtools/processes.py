"""Helpers for the local servers that the run command, the tests and the benchmarks start."""

import contextlib
import os
import pwd
import random
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from types import FrameType
from typing import Any

# A user to run a server as: (uid, gid), or None for ourselves.
User = tuple[int, int] | None


# The ports our servers listen on are drawn from below the kernel's ephemeral range
# (/proc/sys/net/ipv4/ip_local_port_range, 32768 and up by default), so no outgoing connection
# can take one between the check and the server's bind; each pytest-xdist worker draws from a
# slice of its own, and a process never hands out a port twice (a server restarted on its port
# finds it still free).
LOCAL_PORT_RANGE = range(20000, 32768)
_handed_out: set[int] = set()


def free_loopback_port() -> int:
    """A loopback port that nothing listens on and that no other caller will be given."""
    return _draw(_bindable)


def free_loopback_port_pair() -> int:
    """A free loopback port whose next port is free too (`make run` serves HTTP on the
    first and websockets on the second); both are handed out."""
    port = _draw(
        lambda port: _bindable(port) and _bindable(port + 1) and port + 1 not in _handed_out
    )
    _handed_out.add(port + 1)
    return port


def _draw(usable: Callable[[int], bool]) -> int:
    ports = _this_process_ports()
    for port in random.sample(ports, k=len(ports)):
        if port not in _handed_out and usable(port):
            _handed_out.add(port)
            return port
    raise RuntimeError(f"no free loopback port left in {ports}")


def _this_process_ports() -> range:
    """This process's slice of LOCAL_PORT_RANGE: the whole range, or under pytest-xdist the
    worker's share (PYTEST_XDIST_WORKER is gw0, gw1, ...)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    if not worker.startswith("gw"):
        return LOCAL_PORT_RANGE
    size = len(LOCAL_PORT_RANGE) // workers
    start = LOCAL_PORT_RANGE.start + int(worker[2:]) * size
    return range(start, start + size - 1)  # the pair's second port stays in the slice


def _bindable(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def wait_for_http(url: str, process: subprocess.Popen[Any], timeout: float = 30.0) -> None:
    """Wait until `url` answers HTTP (any status) while `process` is alive."""
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode} before answering {url}")
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - loopback servers we started
                return
        except urllib.error.HTTPError:
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def stop_process(process: subprocess.Popen[Any], timeout: float = 10.0) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def run_in_foreground(
    command: Sequence[str], stop_timeout: float = 30.0, **popen_kwargs: Any
) -> int:
    """Run `command` until it exits (return its exit code) or we are told to stop: Ctrl-C or
    SIGTERM raise KeyboardInterrupt, once the command has stopped too, so that nothing it
    started outlives us.

    A Ctrl-C in a terminal reaches the child as well, but SIGTERM (`kill`, a supervisor)
    reaches only us: the child is sent SIGTERM and given `stop_timeout` seconds.
    """
    process = subprocess.Popen(command, **popen_kwargs)  # noqa: S603 - the caller's argv
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        return process.wait()
    finally:
        signal.signal(signal.SIGTERM, previous)
        stop_process(process, timeout=stop_timeout)


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def unprivileged_user(name: str) -> User:
    """(uid, gid) to run a server as: None when we are not root, else the system user
    `name`, created when missing (Elasticsearch and PostgreSQL refuse to run as root)."""
    if os.geteuid() != 0:
        return None
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        subprocess.run(  # noqa: S603 - fixed argv
            [
                shutil.which("useradd") or "/usr/sbin/useradd",
                "--system",
                "--no-create-home",
                "--shell",
                "/usr/sbin/nologin",
                name,
            ],
            check=True,
            timeout=30,
        )
        entry = pwd.getpwnam(name)
    return entry.pw_uid, entry.pw_gid


def as_user(command: list[str], user: User) -> list[str]:
    """`command` run as `user` (a (uid, gid) pair from unprivileged_user, or None: ourselves)."""
    if user is None:
        return command
    setpriv = shutil.which("setpriv") or "/usr/bin/setpriv"
    return [setpriv, f"--reuid={user[0]}", f"--regid={user[1]}", "--clear-groups", *command]


def stop_process_group(
    process: subprocess.Popen[Any], signum: int = signal.SIGTERM, timeout: float = 30.0
) -> None:
    """Stop a server started with start_new_session=True: `signum` to its whole process
    group, then SIGKILL to whatever is left after `timeout` seconds."""
    _signal_group(process.pid, signum)
    deadline = time.monotonic() + timeout
    while _group_alive(process) and time.monotonic() < deadline:
        time.sleep(0.1)
    if _group_alive(process):
        _signal_group(process.pid, signal.SIGKILL)
    process.wait()


def _signal_group(pgid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signum)


def _group_alive(process: subprocess.Popen[Any]) -> bool:
    process.poll()  # reap the leader so that an empty group reads as gone
    try:
        os.killpg(process.pid, 0)
    except ProcessLookupError:
        return False
    return True
