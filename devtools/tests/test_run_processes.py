"""`make run` for real, in a copy of the project: supervisord restarts a killed RQ worker and a
killed daphne while the pages keep answering, the page's socket reconnects by itself and a
job started afterwards reaches it, and Ctrl-C or SIGTERM stops every process it started."""

import os
import signal
import threading
import time
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import expect

from devtools.processes import free_loopback_port_pair
from devtools.run_copy import (
    RunningCommand,
    copy_project,
    run_command_environment,
    start_run_command,
)
from devtools.waiting import wait_until

# `make run` copies are live processes; their database is the copy's own SQLite file, whichever
# pass of the suite this is.
pytestmark = pytest.mark.live
RESTART_SECONDS = 30
# The page retries with a growing back-off (at most 30 s between tries, static/js/tasks.js).
RECONNECT_MS = 60_000
STOP_SECONDS = 60


@pytest.fixture(scope="module")
def project_copy(tmp_path_factory):
    """One copy for the module's runs: the first migrates and loads the demo data, the next
    reuses them, as a developer's second `make run` does."""
    return copy_project(tmp_path_factory.mktemp("run") / "project")


@pytest.fixture
def run_command(project_copy, redis_server):
    env = run_command_environment(REDIS_URL=redis_server)
    running = start_run_command(project_copy, env, port=free_loopback_port_pair())
    yield running
    running.stop()


def processes_in(directory: Path) -> list[str]:
    """Every process whose working directory is `directory` (all that make run starts)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if Path(os.readlink(entry / "cwd")) == directory:
                found.append(f"{entry.name} {(entry / 'cmdline').read_bytes()!r}")
        except OSError:
            continue
    return found


def wait_for_new_pid(running: RunningCommand, program: str, old_pid: int) -> int:
    deadline = time.monotonic() + RESTART_SECONDS
    while True:
        pid = running.pid_of(program)
        if pid is not None and pid != old_pid:
            return pid
        assert time.monotonic() < deadline, running.supervisorctl("status")
        time.sleep(0.2)


class PagePoller(threading.Thread):
    """GET / every 0.2 s until stopped, keeping what did not answer 200."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.url = url
        self.answers = 0
        self.failures: list[str] = []
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            try:
                with urllib.request.urlopen(f"{self.url}/", timeout=10) as answer:
                    assert answer.status == 200
                self.answers += 1
            except Exception as error:  # every failure is a finding
                self.failures.append(repr(error))
            self.stopped.wait(0.2)


def pages_answer_on(poller: PagePoller) -> None:
    """The pages answer after this moment too (that none failed is checked at the end)."""
    answered = poller.answers
    wait_until(lambda: poller.answers > answered, timeout=10)


def wait_until_stopped(running: RunningCommand) -> None:
    assert running.process.wait(timeout=STOP_SECONDS) == 0
    deadline = time.monotonic() + 10
    while processes_in(running.directory):
        assert time.monotonic() < deadline, processes_in(running.directory)
        time.sleep(0.2)


@pytest.mark.browser
def test_killed_worker_and_daphne_come_back_and_the_page_reconnects(run_command, page):
    running = run_command
    email, password = running.demo_credentials()
    page.set_default_timeout(RESTART_SECONDS * 1000)
    page.goto(f"{running.url}/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)  # the login form has one password field
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{running.url}/result/")
    body = page.locator("body")
    expect(body).to_have_attribute("data-task-socket", "open", timeout=RECONNECT_MS)

    poller = PagePoller(running.url)
    poller.start()
    try:
        worker = running.pid_of("worker")
        os.kill(worker, signal.SIGKILL)
        pages_answer_on(poller)
        wait_for_new_pid(running, "worker", worker)

        websocket = running.pid_of("websocket")
        os.kill(websocket, signal.SIGKILL)
        pages_answer_on(poller)
        expect(body).to_have_attribute("data-task-socket", "closed", timeout=RECONNECT_MS)
        wait_for_new_pid(running, "websocket", websocket)
        # The page's own script reconnects, to the new daphne.
        expect(body).to_have_attribute("data-task-socket", "open", timeout=RECONNECT_MS)

        # A job started now runs on the new worker and its end reaches the reconnected page.
        csrf = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
        started = page.request.post(
            f"{running.url}/students/test/",
            form={"count": "20"},
            headers={"Accept": "application/json", "X-CSRFToken": csrf, "Origin": running.url},
        )
        assert started.status == 202, started.text()
        expect(page.locator("#task-toasts .toast")).to_contain_text("Task finished", timeout=60_000)
    finally:
        poller.stopped.set()
        poller.join()
    assert poller.failures == []

    running.process.send_signal(signal.SIGTERM)
    wait_until_stopped(running)
    assert "Stopped the local Redis" not in running.log_path.read_text()  # the tests' Redis


def test_ctrl_c_stops_every_process_it_started(run_command):
    running = run_command
    assert len(processes_in(running.directory)) >= 5  # run, supervisord, gunicorn x2, ...
    running.interrupt()
    wait_until_stopped(running)
    log = running.log_path.read_text()
    assert "Stopping." in log
