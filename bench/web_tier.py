"""The web tier: daphne alone (the old topology) vs nginx in front of gunicorn and daphne
(the production topology), side by side in one run, with Debian's wrk.

    .venv/bin/python bench/web_tier.py [--seconds 8] [--connections 32] [--rounds 1]

Both serve the same app, DEBUG off, on the same temporary SQLite database (demo recipes and
students) and the same Redis. For each page (the cached recipe list, a logged-in page, the
search JSON, /healthz) wrk runs `wrk -t2 -c32 -d8s` against daphne, then through nginx;
each answer is checked to be a 200 first. Prints req/s, p50/p95/max and the answers >= 400.
Exits 1 when a target is missed: the recipe list >= 800 req/s through nginx and >= 6x
daphne alone. `make bench-tools` installs wrk and nginx.
"""

import argparse
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.web_stack import (
    check_answers_200,
    log_in_users,
    make_workdir,
    prepare_site,
    production_environment,
    run_wrk,
    setup_django,
    start_redis,
    start_topology,
)
from devtools.processes import stop_process

PAGES = [
    ("recipe list (cached)", "/", False),
    ("logged-in page (/result/)", "/result/", True),
    ("search JSON", "/students/search/?q=jo", True),
    ("/healthz", "/healthz", False),
]
TARGET_RPS = 800
TARGET_RATIO = 6


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=1, help="alternations per page")
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    workdir = make_workdir("bench-web-tier-")
    redis_url, redis_process = start_redis(workdir)
    env = production_environment(workdir, redis_url)
    setup_django(env)
    prepare_site()
    (session,) = log_in_users(1)
    from devtools.live import start_daphne

    daphne_url, daphne = start_daphne(env, workdir / "daphne-alone.log")
    topology = start_topology(env, workdir)
    servers = {"daphne alone": daphne_url, "nginx -> gunicorn": topology.url}
    results: dict[tuple[str, str], list[dict[str, float]]] = {}
    try:
        for label, path, logged_in in PAGES:
            headers = {"Cookie": session.cookie} if logged_in else {}
            if path.startswith("/students/search/"):
                headers["Accept"] = "application/json"
            for _ in range(args.rounds):
                for server, url in servers.items():
                    check_answers_200(f"{url}{path}", headers)
                    figures = run_wrk(
                        f"{url}{path}",
                        seconds=args.seconds,
                        connections=args.connections,
                        headers=headers,
                    )
                    results.setdefault((label, server), []).append(figures)
                    print(
                        f"{label:28} {server:18} {figures['rps']:8.1f} req/s  "
                        f"p50 {figures['p50_ms']:7.1f} ms  p95 {figures['p95_ms']:7.1f} ms  "
                        f"max {figures['max_ms']:7.1f} ms  >=400: {figures['errors_4xx_5xx']:.0f}  "
                        f"socket errors: {figures['socket_errors']:.0f}",
                        flush=True,
                    )
    finally:
        topology.close()
        stop_process(daphne)
        stop_process(redis_process)
        shutil.rmtree(workdir, ignore_errors=True)

    def best(label: str, server: str) -> float:
        return max(figures["rps"] for figures in results[(label, server)])

    recipes = PAGES[0][0]
    through_nginx = best(recipes, "nginx -> gunicorn")
    alone = best(recipes, "daphne alone")
    ratio = through_nginx / alone
    errors = sum(
        figures["errors_4xx_5xx"] + figures["socket_errors"]
        for runs in results.values()
        for figures in runs
    )
    print(
        f"\nrecipe list: {through_nginx:.0f} req/s through nginx (target >= {TARGET_RPS}), "
        f"{ratio:.1f}x daphne alone (target >= {TARGET_RATIO}x); errors: {errors:.0f}"
    )
    met = through_nginx >= TARGET_RPS and ratio >= TARGET_RATIO and errors == 0
    print("targets met" if met else "TARGET MISSED")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
