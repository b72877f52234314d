"""Start a throwaway Elasticsearch node: the tests' search engine and the benchmark's.

The node is Elastic's minimal `integ-test-zip` distribution fetched from Maven Central
with `mvn dependency:copy` and cached outside the repository. It has no bundled JDK
(ES_JAVA_HOME points at the machine's JDK 17, enough for 8.x) and only the core
analysis chain (no analysis-common, no ICU, no mapper-extras). Elasticsearch refuses to
run as root, so under root the node runs as an unprivileged system user that owns the
node's private copy of the distribution, its data, logs and temporary files.
"""

import fcntl
import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from devtools.processes import (
    User,
    as_user,
    free_loopback_port,
    stop_process_group,
    unprivileged_user,
)

ELASTICSEARCH_VERSION = "8.19.4"
ELASTICSEARCH_USER = "cookbook-es"
CACHE_DIR = Path(
    os.environ.get(
        "ELASTICSEARCH_CACHE_DIR", Path.home() / ".cache" / "cookbook-students" / "elasticsearch"
    )
)
JAVA_HOME_CANDIDATES = ("/usr/lib/jvm/java-17-openjdk-amd64", "/usr/lib/jvm/default-java")


def distribution_zip(version: str = ELASTICSEARCH_VERSION) -> Path:
    """The cached integ-test-zip, fetched once from Maven Central (a lock guards parallel runs)."""
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    archive = CACHE_DIR / f"elasticsearch-{version}.zip"
    with open(CACHE_DIR / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not archive.exists() or not zipfile.is_zipfile(archive):
            artifact = f"org.elasticsearch.distribution.integ-test-zip:elasticsearch:{version}:zip"
            subprocess.run(  # noqa: S603 - fixed argv
                [
                    shutil.which("mvn") or "mvn",
                    "-q",
                    "-B",
                    "dependency:copy",
                    f"-Dartifact={artifact}",
                    f"-DoutputDirectory={CACHE_DIR}",
                ],
                check=True,
                timeout=600,
            )
    return archive


def java_home() -> str:
    configured = os.environ.get("ES_JAVA_HOME") or os.environ.get("JAVA_HOME")
    if configured:
        return configured
    for candidate in JAVA_HOME_CANDIDATES:
        if Path(candidate, "bin", "java").exists():
            return candidate
    java = shutil.which("java")
    if java is None:
        raise RuntimeError("No JDK found: install openjdk-17 or set ES_JAVA_HOME.")
    return str(Path(java).resolve().parent.parent)


def cluster_health(url: str, timeout: float = 1.0) -> dict[str, Any] | None:
    """The cluster's health JSON, or None when nothing answers."""
    try:
        with urllib.request.urlopen(f"{url}/_cluster/health", timeout=timeout) as response:  # noqa: S310 - loopback node
            health: dict[str, Any] = json.load(response)
            return health
    except (OSError, ValueError):
        return None


@dataclass
class ElasticsearchNode:
    url: str
    port: int
    process: subprocess.Popen[bytes]
    workdir: Path

    def stop(self, *, keep_data: bool = False, timeout: float = 30.0) -> None:
        """Stop the node; keep_data leaves its files for a restart.

        The node is a shell script running a Java launcher that runs the server JVM, so
        the whole process group is signalled, not only the script.
        """
        stop_process_group(self.process, timeout=timeout)
        if not keep_data:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def log_tail(self, lines: int = 40) -> str:
        logs = [self.workdir / "console.log", *sorted((self.workdir / "logs").glob("*.log"))[:1]]
        text = "\n".join(path.read_text(errors="replace") for path in logs if path.exists())
        return "\n".join(text.splitlines()[-lines:])


def _unpack(workdir: Path, user: User) -> None:
    with zipfile.ZipFile(distribution_zip()) as archive:
        archive.extractall(workdir)
    for path in (_home(workdir) / "bin").iterdir():  # zipfile does not keep the executable bits
        path.chmod(0o755)
    for sub in ("data", "logs", "tmp"):
        (workdir / sub).mkdir()
    if user is not None:
        for root, dirs, files in os.walk(workdir):
            for name in [*dirs, *files]:
                os.lchown(os.path.join(root, name), *user)
        os.chown(workdir, *user)


def _home(workdir: Path) -> Path:
    return workdir / f"elasticsearch-{ELASTICSEARCH_VERSION}"


def start_elasticsearch_server(
    *,
    port: int | None = None,
    heap: str = "256m",
    quick_start: bool = True,
    restart: ElasticsearchNode | None = None,
    ready_timeout: float = 180.0,
) -> ElasticsearchNode:
    """Start a single-node cluster on 127.0.0.1; return it once it is green or yellow.

    quick_start compiles with the JVM's fast C1 compiler only: a few seconds less to start,
    right for tests, wrong for a benchmark. `restart` is a node stopped with keep_data=True:
    the new node reuses its port and its data, as an engine coming back after an outage.
    """
    user = unprivileged_user(ELASTICSEARCH_USER)
    if restart is not None:
        port, workdir = restart.port, restart.workdir
    else:
        port = port or free_loopback_port()
        # Under /tmp rather than pytest's private (0700, root-owned) folders so that the
        # node's user can reach it.
        workdir = Path(tempfile.mkdtemp(prefix="cookbook-es-"))
        _unpack(workdir, user)
    home = _home(workdir)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "ES_JAVA_HOME": java_home(),
        "ES_JAVA_OPTS": f"-Xms{heap} -Xmx{heap}"
        + (" -XX:TieredStopAtLevel=1" if quick_start else ""),
        "ES_TMPDIR": str(workdir / "tmp"),
        "ES_PATH_CONF": str(home / "config"),
        "HOME": str(workdir),
    }
    settings = {
        "cluster.name": f"cookbook-test-{port}",
        "node.name": "node-1",
        "discovery.type": "single-node",
        "network.host": "127.0.0.1",
        "http.port": str(port),
        "transport.port": str(free_loopback_port()),
        "path.data": str(workdir / "data"),
        "path.logs": str(workdir / "logs"),
        "xpack.security.enabled": "false",
        # A nearly full shared disk must not turn the index read-only mid-test.
        "cluster.routing.allocation.disk.threshold_enabled": "false",
    }
    command = [str(home / "bin" / "elasticsearch")]
    command += [f"-E{key}={value}" for key, value in settings.items()]
    command = as_user(command, user)
    with open(workdir / "console.log", "ab") as console:
        process = subprocess.Popen(  # noqa: S603 - fixed argv
            command,
            env=env,
            cwd=workdir,
            stdin=subprocess.DEVNULL,
            stdout=console,
            stderr=console,
            start_new_session=True,  # its own process group, stopped as one
        )
    url = f"http://127.0.0.1:{port}"
    node = ElasticsearchNode(url=url, port=port, process=process, workdir=workdir)
    deadline = time.monotonic() + ready_timeout
    while True:
        health = cluster_health(url)
        if health and health.get("status") in {"green", "yellow"}:
            return node
        if process.poll() is not None or time.monotonic() > deadline:
            tail = node.log_tail()
            node.stop()
            raise RuntimeError(f"Elasticsearch did not start on port {port}:\n{tail}")
        time.sleep(0.25)


class RestartableNode:
    """A node that tests stop and start again on its own data and port, as an engine that
    goes away and comes back (the session's other node keeps serving every other test)."""

    def __init__(self) -> None:
        self.node = start_elasticsearch_server()
        self.running = True

    @property
    def url(self) -> str:
        return self.node.url

    def stop(self) -> None:
        self.node.stop(keep_data=True)
        self.running = False

    def start(self) -> None:
        self.node = start_elasticsearch_server(restart=self.node)
        self.running = True

    def ensure_running(self) -> None:
        if not self.running:
            self.start()

    def shut_down(self) -> None:
        if self.running:
            self.node.stop()
        else:
            shutil.rmtree(self.node.workdir, ignore_errors=True)
