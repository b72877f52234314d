"""Helpers of the fault tests: the directory before a fault, what may be visible during it,
processes of a worker."""

import json
import os
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from students.fakes import FakeStudents
from students.models import Student
from students.search import index_students, refresh_index, search_students

OLD_GENERATION_SIZE = 50

# Short intervals, so that every mechanism that heals a fault acts within seconds here
# (production's defaults are in project/settings.py and the README's failure table).
FAST_HEALING = {
    "CRUD_JOB_BATCH_SIZE": "500",
    "RQ_JOB_MONITORING_INTERVAL": "1",
    "RQ_MAINTENANCE_INTERVAL": "1",
    "MAINTENANCE_INTERVAL_SECONDS": "1",
    "TASK_HEARTBEAT_SECONDS": "1",
    "SEARCH_OUTBOX_RETRY_MAX_SECONDS": "2",
    "WEBSOCKET_SESSION_CHECK_SECONDS": "1",
    # /healthz checks again on each call, so that it tells the fault the moment it happens.
    "HEALTH_CACHE_SECONDS": "0",
}


def old_generation() -> set[int]:
    """The directory in place before the fault (indexed when search is on Elasticsearch)."""
    students = Student.objects.bulk_create(FakeStudents(seed=11).batch(OLD_GENERATION_SIZE))
    index_students(students)
    refresh_index()
    return {student.pk for student in students}


def only_these_are_visible(ids: set[int]) -> None:
    """Pages, counts and search show these students and no row of another generation."""
    assert set(Student.objects.values_list("id", flat=True)) == ids
    assert Student.objects.count() == len(ids)
    others = Student.every_generation.exclude(id__in=ids).order_by("-id")[:3]
    for student in others:
        hits = {row["id"] for row in search_students(student.email.split("@")[0]).results}
        assert not hits - ids, f"student {student.pk} of an unfinished generation is found"


def children_of(pid: int) -> set[int]:
    children = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        children.update(int(child) for child in (task / "children").read_text().split())
    return children


def work_horse_of(worker_pid: int) -> int:
    """The worker's work horse: RQ forks it into a process group of its own (the worker's
    scheduler, another child, stays in the worker's group)."""
    for child in children_of(worker_pid):
        if os.getpgid(child) == child:
            return child
    raise AssertionError("the worker has no work horse: no job is running")


def is_alive(pid: int) -> bool:
    """False once the process is gone or a zombie waiting to be reaped."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state not in {"Z", "X"}


def get(base_url: str, path: str, session_key: str | None = None) -> tuple[int, str]:
    """GET as a browser of that session would: (status, body)."""
    headers = {"Cookie": f"sessionid={session_key}"} if session_key else {}
    request = urllib.request.Request(base_url + path, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def task_status(base_url: str, task_id: str, session_key: str) -> dict[str, Any]:
    """The task JSON, as a page catching up reads it."""
    request = urllib.request.Request(
        f"{base_url}/result/{task_id}/",
        headers={"Cookie": f"sessionid={session_key}", "Accept": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        answer: dict[str, Any] = json.load(response)
        return answer
