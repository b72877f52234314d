"""`make run` (devtools.run) in a throwaway copy of the project, for tests and benchmarks: its
database, its .run/ (demo password, supervisord's files) and its media stay out of the
developer's checkout, as in a fresh clone. The copy runs on this virtual environment."""

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from devtools.processes import stop_process_group, wait_for_http

PROJECT_DIR = Path(__file__).resolve().parent.parent
# What a fresh clone does not have: local state, caches, the virtual environment.
LOCAL_STATE = shutil.ignore_patterns(
    ".git", ".venv", ".run", ".env", "media", "staticfiles", "*.sqlite3", "*.sqlite3-*",
    "__pycache__", ".pytest_cache", ".ruff_cache", ".mypy_cache", "out",
)  # fmt: skip


# This process's variables that would take the copy away from its embedded set-up (a test's
# database, a websocket address or port, DEBUG or a settings module of its own).
NOT_INHERITED = frozenset(
    {"DATABASE_URL", "WEBSOCKET_URL", "PORT", "DJANGO_DEBUG", "DJANGO_SETTINGS_MODULE"}
)


def run_command_environment(**values: str) -> dict[str, str]:
    """This process's environment for `make run` in a copy, with `values` on top."""
    inherited = {name: value for name, value in os.environ.items() if name not in NOT_INHERITED}
    return {**inherited, **values}


def copy_project(destination: Path) -> Path:
    """The project's files, without local state, in `destination` (created)."""
    shutil.copytree(PROJECT_DIR, destination, ignore=LOCAL_STATE)
    return destination


@dataclass
class RunningCommand:
    """A `python -m devtools.run` started in a copy, in a session of its own (so that a
    Ctrl-C can reach its process group as a terminal's would)."""

    process: subprocess.Popen[bytes]
    directory: Path
    port: int
    log_path: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def supervisorctl(self, *arguments: str) -> str:
        result = subprocess.run(  # noqa: S603 - our own argv
            [
                str(Path(sys.executable).parent / "supervisorctl"),
                "--configuration",
                str(self.directory / ".run" / "supervisord.conf"),
                *arguments,
            ],
            capture_output=True,
            text=True,
            timeout=30,
        )
        return result.stdout

    def pid_of(self, program: str) -> int | None:
        """The pid of a supervised program while it runs (web, websocket, worker)."""
        answer = self.supervisorctl("pid", program).strip()
        return int(answer) if answer.isdigit() and answer != "0" else None

    def demo_credentials(self) -> tuple[str, str]:
        email, password = (self.directory / ".run" / "demo-account.txt").read_text().split()
        return email, password

    def interrupt(self) -> None:
        """Ctrl-C in its terminal: SIGINT to its whole process group."""
        os.killpg(self.process.pid, signal.SIGINT)

    def stop(self) -> None:
        """Whatever is left of it, gone (the end of a test or benchmark)."""
        if self.process.poll() is None:
            stop_process_group(self.process, timeout=60)


def start_run_command(
    directory: Path, env: Mapping[str, str], *, port: int, timeout: float = 180.0
) -> RunningCommand:
    """`python -m devtools.run` in `directory` serving on `port`, once its pages answer."""
    log_path = directory / "run.log"
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "devtools.run"],
            cwd=directory,
            env={**env, "PORT": str(port), "PYTHONUNBUFFERED": "1"},
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    running = RunningCommand(process=process, directory=directory, port=port, log_path=log_path)
    try:
        wait_for_http(f"{running.url}/healthz", process, timeout=timeout)
        _wait_for_programs(running, deadline=time.monotonic() + timeout)
    except BaseException:
        running.stop()
        raise RuntimeError(f"make run did not start:\n{log_path.read_text()}") from None
    return running


def _wait_for_programs(running: RunningCommand, *, deadline: float) -> None:
    """Until supervisord says that web, websocket and worker all run."""
    while (status := running.supervisorctl("status")).count(" RUNNING ") < 3:
        if time.monotonic() > deadline:
            raise TimeoutError(status)
        time.sleep(0.5)
