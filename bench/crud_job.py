"""Benchmark of the student CRUD job: batched versus naive, and the worker's peak memory.

Runs on a fresh SQLite file database with the Elasticsearch backend (a real node,
started here) and a Redis of its own. Prints each phase's time, the total and the
ratio for N=10,000 (both versions replace a previous generation of the same size; the
batched cycle runs --runs times and its median total is the one compared), then runs
N=100,000 through a real `manage.py rqworker --burst` and prints the peak RSS of the
worker processes. Targets: batched <= 3 s, >= 25x naive, RSS <= 250 MB.

Each batched cycle runs twice, interleaved: without progress reports, and as the job runs it,
with the cancellation checks (ThrottledProgress: the task's progress UPDATE, which finds a
cancelled task, and the websocket publish, at most 10 a second); both medians are printed.

    .venv/bin/python bench/crud_job.py [--count 10000] [--runs 3] [--rss-count 100000]
        [--no-naive] (--rss-count 0 skips the worker run)
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from devtools.elasticsearch_server import start_elasticsearch_server  # noqa: E402
from devtools.processes import free_loopback_port, stop_process  # noqa: E402
from devtools.redis_server import start_redis_server  # noqa: E402


def naive_cycle(count):
    """The same cycle one student at a time: save() + one index call, get() + delete().

    Its index calls happen inside its create and update phases. Its rows are of a generation
    of their own (`Student.every_generation` reaches them), put in service at the end.
    """
    from students.fakes import FakeStudents
    from students.models import LiveGeneration, Student
    from students.search import index_students, refresh_index, remove_students

    timings = {}
    previous_ids = list(Student.objects.values_list("id", flat=True))
    generation = max(Student.every_generation.values_list("generation", flat=True), default=0) + 1
    fakes = FakeStudents()

    started = time.perf_counter()
    new_ids = []
    for student in fakes.batch(count, generation=generation):
        student.save()
        index_students([student])
        new_ids.append(student.id)
    timings["create"] = time.perf_counter() - started

    started = time.perf_counter()
    for student_id in new_ids:
        Student.every_generation.get(id=student_id)
    timings["verify"] = time.perf_counter() - started

    started = time.perf_counter()
    for student_id in new_ids:
        student = Student.every_generation.get(id=student_id)
        student.age += 1
        student.save()
        index_students([student])
    timings["update"] = time.perf_counter() - started

    started = time.perf_counter()
    for student_id in previous_ids:
        Student.every_generation.get(id=student_id).delete()
        remove_students([student_id])
    refresh_index()
    LiveGeneration.objects.update(number=generation)
    timings["delete"] = time.perf_counter() - started
    return timings


def print_timings(label, timings, total):
    phases = "  ".join(f"{phase} {seconds:6.3f} s" for phase, seconds in timings.items())
    print(f"{label:<8} {phases}  total {total:8.3f} s")
    return total


def checked_cycle(count):
    """The cycle as the job runs it: its task running, progress reported (and the task's
    status checked) through ThrottledProgress."""
    from students.crud_cycle import run_crud_cycle
    from users.models import CustomUser
    from users.tasks.progress import ThrottledProgress
    from users.tasks.services import create_task, finish_task, start_task

    owner, _ = CustomUser.objects.get_or_create(email="bench-checks@example.com")
    task = create_task(owner=owner, kind="student_crud", params={"count": count})
    start_task(task.public_id, message="bench")
    progress = ThrottledProgress(task.public_id)
    spent = {"calls": 0, "seconds": 0.0}

    def timed_progress(percent, message):
        started = time.perf_counter()
        try:
            progress(percent, message)
        finally:
            spent["calls"] += 1
            spent["seconds"] += time.perf_counter() - started

    result = run_crud_cycle(count, on_progress=timed_progress, task_id=task.public_id)
    finish_task(task.public_id, result=result, message="bench")
    print(
        f"         (its {spent['calls']} progress reports, the checks among them, took "
        f"{spent['seconds']:.3f} s of the main thread)"
    )
    return result


def report_worker(count, env):
    task, peak, elapsed = measure_worker_rss(count, env)
    print(
        f"worker   N={count:,} task {task.status} in {elapsed:.1f} s of worker "
        f"(with its periodic maintenance; the job itself: {task.message}), "
        f"peak RSS {peak:.0f} MiB: {'met' if peak <= 250 else 'MISSED'} (<= 250 MiB)"
    )


def measure_worker_rss(count, env):
    """Run one CRUD job of `count` in a real burst worker; return the peak RSS in MiB."""
    from students.services import start_crud_job
    from users.models import CustomUser

    owner, _ = CustomUser.objects.get_or_create(email="bench@example.com")
    task = start_crud_job(owner=owner, count=count)
    # A small parent process runs the worker, so that its RUSAGE_CHILDREN covers exactly the
    # worker and its work horse: ru_maxrss is the largest of them (KiB on Linux).
    measure = (
        "import resource, subprocess, sys; "
        "subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL, "
        "stderr=subprocess.DEVNULL); "
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    started = time.perf_counter()
    output = subprocess.run(
        [sys.executable, "-c", measure, sys.executable, "manage.py", "rqworker", "--burst"],
        cwd=BASE_DIR,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    elapsed = time.perf_counter() - started
    task.refresh_from_db()
    peak = int(output.split()[-1]) / 1024
    return task, peak, elapsed


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3, help="batched cycles (median compared)")
    parser.add_argument("--rss-count", type=int, default=100_000)
    parser.add_argument("--no-naive", action="store_true", help="skip the naive cycle")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="bench-crud-"))
    redis_port = free_loopback_port()
    redis_process = start_redis_server(port=redis_port, workdir=workdir / "redis")
    node = start_elasticsearch_server()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "project.settings",
        "DATABASE_URL": f"sqlite:///{workdir / 'bench.sqlite3'}",
        "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
        "ELASTICSEARCH_URL": node.url,
        # Every index call is the job's own, for both versions.
        "ELASTICSEARCH_AUTOSYNC": "false",
        "DJANGO_LOG_LEVEL": "WARNING",
    }
    os.environ.update(env)
    try:
        import django

        django.setup()
        from django.core.management import call_command

        from students.crud_cycle import run_crud_cycle

        call_command("migrate", verbosity=0)
        print(f"SQLite file database, Elasticsearch {node.url}, N={args.count:,}")

        run_crud_cycle(args.count)  # the previous generation the measured cycle replaces
        totals = []
        checked_totals = []
        for run in range(args.runs):
            load = os.getloadavg()[0]
            print(f"         (1-minute load average before the runs: {load:.2f})")
            # Each goes first every other time: a cycle right after another one is slower
            # (the dropped index and the deleted rows are still being cleaned up).
            for checks in (run % 2 == 1, run % 2 == 0):
                if checks:
                    checked = checked_cycle(args.count)
                    checked_totals.append(
                        print_timings("checked", checked["seconds"], checked["total_seconds"])
                    )
                else:
                    batched = run_crud_cycle(args.count)
                    # It indexes beside its database work: its total is the wall time.
                    totals.append(
                        print_timings("batched", batched["seconds"], batched["total_seconds"])
                    )
        batched_total = statistics.median(totals)
        checked_total = statistics.median(checked_totals)
        print(f"batched  median total {batched_total:.3f} s of {args.runs}")
        print(
            f"checked  median total {checked_total:.3f} s with the cancellation checks "
            f"({checked_total - batched_total:+.3f} s)"
        )
        if args.no_naive:
            print(f"target   batched <= 3 s: {'met' if batched_total <= 3 else 'MISSED'}")
            if args.rss_count:
                report_worker(args.rss_count, env)
            return
        naive = naive_cycle(args.count)
        naive_total = sum(naive.values())
        print_timings("naive", naive, naive_total)
        print(f"ratio    naive / batched = {naive_total / batched_total:.1f}x")
        print(
            f"targets  batched <= 3 s: {'met' if batched_total <= 3 else 'MISSED'}; "
            f">= 25x: {'met' if naive_total / batched_total >= 25 else 'MISSED'}"
        )

        if args.rss_count:
            report_worker(args.rss_count, env)
    finally:
        node.stop()
        stop_process(redis_process)


if __name__ == "__main__":
    main()
