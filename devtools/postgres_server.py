"""Start a throwaway PostgreSQL cluster: the test suite's second database.

The server is Debian's `postgresql` package (`/usr/lib/postgresql/<major>/bin`, the newest
major installed; `make postgresql` installs it). Each start runs `initdb` into a fresh
temporary folder and serves on 127.0.0.1 at a free port, with its Unix socket in that folder
too, so it never meets the machine's own clusters. Durability is off (fsync,
synchronous_commit, full_page_writes): the cluster is deleted when it stops. PostgreSQL
refuses to run as root, so under root it runs as Debian's `postgres` system user, which owns
the folder.

    python -m devtools.postgres_server -- pytest -q

runs a command with DATABASE_URL pointing at a fresh cluster and returns its exit code.
"""

import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import psycopg

from devtools.processes import as_user, free_loopback_port, stop_process_group, unprivileged_user

POSTGRES_ROOT = Path("/usr/lib/postgresql")
POSTGRES_USER = "postgres"
DATABASE_NAME = "cookbook"
SERVER_SETTINGS = {
    "listen_addresses": "127.0.0.1",
    # Live daphne and RQ worker processes each hold connections beside the test process.
    "max_connections": "200",
    "shared_buffers": "128MB",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "log_min_messages": "warning",
}


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL server binaries, or the server did not start."""


def server_bin_dir(root: Path = POSTGRES_ROOT) -> Path:
    """The bin folder of the newest PostgreSQL major under `root` that has initdb and postgres."""
    candidates = []
    if root.is_dir():
        for major in root.iterdir():
            bin_dir = major / "bin"
            if major.name.isdigit() and _has_server(bin_dir):
                candidates.append((int(major.name), bin_dir))
    if not candidates:
        raise PostgresUnavailable(
            f"No PostgreSQL server binaries (initdb, postgres) under {root}/<major>/bin: "
            "install Debian's postgresql package (`make postgresql` does it)."
        )
    return max(candidates)[1]


def _has_server(bin_dir: Path) -> bool:
    return all(os.access(bin_dir / name, os.X_OK) for name in ("initdb", "postgres"))


def database_answers(url: str, timeout: int = 1) -> bool:
    try:
        with psycopg.connect(url, connect_timeout=timeout) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error:
        return False
    return True


@dataclass
class PostgresServer:
    port: int
    password: str
    process: subprocess.Popen[bytes]
    workdir: Path
    command: list[str]

    def url(self, database: str = DATABASE_NAME) -> str:
        return f"postgres://{POSTGRES_USER}:{self.password}@127.0.0.1:{self.port}/{database}"

    def stop(self, timeout: float = 30.0) -> None:
        """Fast shutdown (SIGINT: roll back open transactions, close sessions), then remove
        the cluster's folder."""
        stop_process_group(self.process, signal.SIGINT, timeout=timeout)
        shutil.rmtree(self.workdir, ignore_errors=True)

    def restart(self, *, down_for: float = 0.0, ready_timeout: float = 60.0) -> None:
        """Stop the server (fast shutdown: every session is cut), stay down `down_for`
        seconds, and start it again on the same data and port, as a restart in production."""
        stop_process_group(self.process, signal.SIGINT)
        time.sleep(down_for)
        self.process = _launch(self.command, self.workdir)
        _wait_until_answering(self, ready_timeout)

    def log_tail(self, lines: int = 40) -> str:
        log = self.workdir / "postgres.log"
        text = log.read_text(errors="replace") if log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


def start_postgres_server(
    *, bin_dir: str | Path | None = None, port: int | None = None, ready_timeout: float = 60.0
) -> PostgresServer:
    """initdb a fresh cluster, start it on 127.0.0.1 and create the `cookbook` database;
    return the server once that database answers."""
    bin_dir = Path(bin_dir) if bin_dir is not None else server_bin_dir()
    if not _has_server(bin_dir):
        raise PostgresUnavailable(f"No PostgreSQL server binaries (initdb, postgres) in {bin_dir}")
    user = unprivileged_user(POSTGRES_USER)
    port = port or free_loopback_port()
    password = secrets.token_urlsafe(16)
    # Under /tmp rather than pytest's private (0700, root-owned) folders so that the
    # server's user can reach it.
    workdir = Path(tempfile.mkdtemp(prefix="cookbook-pg-"))
    (workdir / "password").write_text(password)
    if user is not None:
        os.chown(workdir, *user)
        os.chown(workdir / "password", *user)
    data = workdir / "data"
    initdb = [
        str(bin_dir / "initdb"),
        f"--pgdata={data}",
        f"--username={POSTGRES_USER}",
        f"--pwfile={workdir / 'password'}",
        "--auth-host=scram-sha-256",
        "--auth-local=peer",
        "--encoding=UTF8",
        # Code point order, as SQLite sorts; libc classifies every Unicode letter.
        "--locale=C.UTF-8",
        "--no-sync",
    ]
    result = subprocess.run(  # noqa: S603 - fixed argv
        as_user(initdb, user), capture_output=True, text=True, timeout=120, check=False
    )
    if result.returncode != 0:
        shutil.rmtree(workdir, ignore_errors=True)
        raise PostgresUnavailable(f"initdb failed:\n{result.stdout}{result.stderr}")
    command = [str(bin_dir / "postgres"), "-D", str(data), "-p", str(port), "-k", str(workdir)]
    command += [f"--{name.replace('_', '-')}={value}" for name, value in SERVER_SETTINGS.items()]
    command = as_user(command, user)
    (workdir / "postgres.log").touch()
    if user is not None:
        os.chown(workdir / "postgres.log", *user)
    server = PostgresServer(
        port=port,
        password=password,
        process=_launch(command, workdir),
        workdir=workdir,
        command=command,
    )
    _wait_until_answering(server, ready_timeout)
    with psycopg.connect(server.url("postgres"), autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {DATABASE_NAME}")
    return server


def _launch(command: list[str], workdir: Path) -> subprocess.Popen[bytes]:
    with open(workdir / "postgres.log", "ab") as log:
        return subprocess.Popen(  # noqa: S603 - fixed argv
            command,
            cwd=workdir,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            start_new_session=True,  # its own process group, stopped as one
        )


def _wait_until_answering(server: PostgresServer, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not database_answers(server.url("postgres")):
        if server.process.poll() is not None or time.monotonic() > deadline:
            tail = server.log_tail()
            server.stop()
            raise PostgresUnavailable(f"PostgreSQL did not start on port {server.port}:\n{tail}")
        time.sleep(0.1)


def run_with_postgres(command: Sequence[str]) -> int:
    """Run `command` with DATABASE_URL on a fresh cluster; return its exit code."""
    server = start_postgres_server()
    try:
        env = {**os.environ, "DATABASE_URL": server.url()}
        return subprocess.run(command, env=env, check=False).returncode  # noqa: S603 - the caller's argv
    finally:
        server.stop()


def main(argv: list[str]) -> int:
    if argv[:1] == ["--"]:
        argv = argv[1:]
    if not argv:
        sys.exit("usage: python -m devtools.postgres_server -- COMMAND [ARG...]")
    # A CI runner cancelling the job sends SIGTERM: unwind so that the cluster stops too.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    try:
        return run_with_postgres(argv)
    except PostgresUnavailable as exc:
        sys.exit(str(exc))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
