"""Helpers for the local servers that the run command, the tests and the benchmarks start."""

import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from types import FrameType
from typing import Any

# A user to run a server as: (uid, gid), or None for ourselves.
User = tuple[int, int] | None


def free_loopback_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def free_loopback_port_pair() -> int:
    """A free loopback port whose next port is free too (`make run` serves HTTP on the
    first and websockets on the second)."""
    while True:
        port = free_loopback_port()
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind(("127.0.0.1", port + 1))
            except OSError:
                continue
        return port


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
