"""PostgreSQL restarted under load: requests during the restart fail, and the connections of
the web server and the worker recover by themselves as soon as it answers again."""

import subprocess
import sys
import threading
import time

import pytest
from django.conf import settings

from devtools.live import rq_worker, start_daphne
from devtools.postgres_server import start_postgres_server
from devtools.processes import stop_process
from students.tests.live import post_json, receive_until, task_socket
from tests.faults.live import FAST_HEALING, get

# Runs in the PostgreSQL pass only, on a cluster of its own (the suite's serves the others).
pytestmark = pytest.mark.database("postgresql")

LOAD_THREADS = 4
MAKE_SESSION = (
    "from users.models import CustomUser; from students.tests.live import session_for; "
    "print(session_for(CustomUser.objects.create_user('load@example.com', 'a-Long-pass-42')))"
)


def manage(env, *args):
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    ).stdout


class Load:
    """Threads requesting pages that read the database, as users would, noting each answer."""

    def __init__(self, base_url, session_key):
        self.base_url = base_url
        self.session_key = session_key
        self.answers: list[tuple[float, int]] = []
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self.run, args=(n,)) for n in range(LOAD_THREADS)]

    def run(self, number):
        path = "/healthz" if number % 2 else "/students/"
        while not self.stop.is_set():
            try:
                status = get(self.base_url, path, self.session_key)[0]
            except OSError:
                status = 0
            self.answers.append((time.monotonic(), status))

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc_info):
        self.stop.set()
        for thread in self.threads:
            thread.join()


def test_postgresql_restarted_under_load(live_server_env, tmp_path, heal_time):
    server = start_postgres_server()
    env = {**live_server_env, **FAST_HEALING, "DATABASE_URL": server.url()}
    try:
        manage(env, "migrate", "--no-input", "-v", "0")
        session_key = manage(env, "shell", "-v", "0", "-c", MAKE_SESSION).strip()
        base_url, daphne = start_daphne(env, tmp_path / "daphne.log")
        try:
            with rq_worker(env, tmp_path / "worker.log", "--with-scheduler") as worker:
                with Load(base_url, session_key) as load:
                    time.sleep(1)
                    stopping = time.monotonic()
                    server.restart(down_for=2)
                    back = time.monotonic()
                    time.sleep(3)
                before = [status for at, status in load.answers if at < stopping]
                after = [(at, status) for at, status in load.answers if at >= back]
                assert before and set(before) == {200}
                # What users see while it restarts: the error page, and /healthz says 503.
                felt = {status for _, status in load.answers} - {200}
                assert felt and felt <= {500, 503}
                recovered = next(at for at, status in after if status == 200)
                assert {status for at, status in after if at > recovered + 1} == {200}
                heal_time(recovered - back)

                # The worker that lived through the restart runs the next job to the end.
                assert worker.poll() is None
                with task_socket(base_url, session_key) as socket:
                    status, body = post_json(
                        base_url, "/students/test/", {"count": 50}, session_key
                    )
                    assert status == 202
                    final = receive_until(
                        socket, lambda u: u["status"] in ("finished", "failed"), 90
                    )[-1]
                assert (final["task_id"], final["status"]) == (body["task_id"], "finished")
        finally:
            stop_process(daphne)
    finally:
        server.stop()
