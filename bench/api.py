"""The REST API beside the HTML pages, through the HTTP tier of production (nginx in front
of gunicorn), with Debian's wrk.

    .venv/bin/python bench/api.py [--seconds 8] [--connections 32]

On the same temporary SQLite database (the demo recipes and
students), DEBUG off, the same Redis, three reads are measured each
way: a page of 50 students (`/api/v1/students/` vs the `/students/` page), a search
(`/api/v1/students/search/?q=jo` vs `/students/search/?q=jo`) and a task's status
(`/api/v1/tasks/<id>/` vs `/result/<id>/`), the API with a JWT access token (and the task
status also with an API key), the pages with a session. Each answer is checked to be a 200
first. Prints req/s, p50/p95/max and the answers >= 400; exits 1 when any answer was an
error. `make bench-tools` installs wrk and nginx.
"""

import argparse
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.web_stack import (
    check_answers_200,
    make_workdir,
    prepare_site,
    production_environment,
    run_wrk,
    setup_django,
    start_redis,
    start_topology,
)
from devtools.processes import stop_process


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--connections", type=int, default=32)
    return parser.parse_args()


def credentials() -> tuple[dict[str, str], dict[str, str], dict[str, str], str]:
    """A user's session cookie, JWT and API key headers, and the id of one of its tasks."""
    import secrets
    from datetime import timedelta

    from django.test import Client

    from api.services import create_api_key
    from api.tokens import tokens_for
    from users.models import CustomUser, Task
    from users.tasks.services import create_task

    user = CustomUser.objects.create_user(
        f"bench-api-{secrets.token_hex(4)}@example.com", secrets.token_urlsafe(16)
    )
    client = Client()
    client.force_login(user)
    session = {"Cookie": f"sessionid={client.cookies['sessionid'].value}"}
    # The bench runs longer than an access token's default lifetime.
    token = tokens_for(user).access_token
    token.set_exp(lifetime=timedelta(hours=1))
    jwt = {"Authorization": f"Bearer {token}"}
    _, key = create_api_key(user=user, name="bench")
    api_key = {"Authorization": f"Api-Key {key}"}
    task = create_task(owner=user, kind=Task.Kind.STUDENT_CRUD)
    return session, jwt, api_key, str(task.public_id)


def main() -> int:
    args = parse_args()
    workdir = make_workdir("bench-api-")
    redis_url, redis_process = start_redis(workdir)
    env = production_environment(workdir, redis_url)
    setup_django(env)
    prepare_site()
    session, jwt, api_key, task_id = credentials()
    json_session = {**session, "Accept": "application/json"}
    cases = [
        ("50 students", "API (JWT)", "/api/v1/students/", jwt),
        ("50 students", "HTML page", "/students/", session),
        ("search 'jo'", "API (JWT)", "/api/v1/students/search/?q=jo", jwt),
        ("search 'jo'", "page JSON", "/students/search/?q=jo", json_session),
        ("task status", "API (JWT)", f"/api/v1/tasks/{task_id}/", jwt),
        ("task status", "API (key)", f"/api/v1/tasks/{task_id}/", api_key),
        ("task status", "page JSON", f"/result/{task_id}/", json_session),
    ]
    topology = start_topology(env, workdir)
    errors = 0.0
    try:
        for label, way, path, headers in cases:
            url = f"{topology.url}{path}"
            check_answers_200(url, headers)
            figures = run_wrk(
                url, seconds=args.seconds, connections=args.connections, headers=headers
            )
            errors += figures["errors_4xx_5xx"] + figures["socket_errors"]
            print(
                f"{label:12} {way:10} {figures['rps']:8.1f} req/s  "
                f"p50 {figures['p50_ms']:7.1f} ms  p95 {figures['p95_ms']:7.1f} ms  "
                f"max {figures['max_ms']:7.1f} ms  >=400: {figures['errors_4xx_5xx']:.0f}  "
                f"socket errors: {figures['socket_errors']:.0f}",
                flush=True,
            )
    finally:
        topology.close()
        stop_process(redis_process)
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"\nerrors: {errors:.0f}")
    return 0 if errors == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
