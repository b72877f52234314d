import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from devtools.processes import (
    LOCAL_PORT_RANGE,
    free_loopback_port,
    free_loopback_port_pair,
    stop_process,
)

PROJECT_DIR = Path(__file__).resolve().parents[2]
# A parent that runs a long child through run_in_foreground; the child writes its pid first.
PARENT = """
import sys
from devtools.processes import run_in_foreground
child = "import os, sys, time; open(sys.argv[1], 'w').write(str(os.getpid())); time.sleep(600)"
sys.exit(run_in_foreground([sys.executable, "-c", child, sys.argv[1]], stop_timeout=5))
"""


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _start_parent(pid_file):
    parent = subprocess.Popen([sys.executable, "-c", PARENT, str(pid_file)], cwd=PROJECT_DIR)
    deadline = time.monotonic() + 30
    while not (pid_file.exists() and pid_file.read_text()):
        assert parent.poll() is None, "the parent exited before its child started"
        assert time.monotonic() < deadline, "the child never started"
        time.sleep(0.05)
    return parent, int(pid_file.read_text())


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_stopped_parent_stops_its_foreground_child(tmp_path, signum):
    parent, child_pid = _start_parent(tmp_path / "child.pid")
    try:
        assert _alive(child_pid)
        # Only the parent is signalled, as `kill` or a supervisor does.
        parent.send_signal(signum)
        parent.wait(timeout=30)
        assert parent.returncode != 0
        assert not _alive(child_pid)
    finally:
        stop_process(parent)
        if _alive(child_pid):
            os.kill(child_pid, signal.SIGKILL)


def test_the_childs_exit_code_comes_back(tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from devtools.processes import run_in_foreground; "
            "sys.exit(run_in_foreground([sys.executable, '-c', 'raise SystemExit(7)']))",
        ],
        cwd=PROJECT_DIR,
        check=False,
    )
    assert result.returncode == 7


def test_ports_are_handed_out_once_and_below_the_ephemeral_range():
    ephemeral_start = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    ports = [free_loopback_port() for _ in range(50)]
    pair = free_loopback_port_pair()
    assert len({*ports, pair, pair + 1}) == 52
    assert max(*ports, pair + 1) < ephemeral_start


@pytest.mark.parametrize("worker", ["gw0", "gw1", "gw2"])
def test_each_xdist_worker_draws_from_its_own_slice(monkeypatch, worker):
    monkeypatch.setenv("PYTEST_XDIST_WORKER", worker)
    monkeypatch.setenv("PYTEST_XDIST_WORKER_COUNT", "3")
    index = int(worker[2:])
    share = len(LOCAL_PORT_RANGE) // 3
    port = free_loopback_port()
    assert (
        LOCAL_PORT_RANGE.start + index * share
        <= port
        < LOCAL_PORT_RANGE.start + (index + 1) * share
    )
