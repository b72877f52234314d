"""Recipe list page: naive vs cold-optimised vs warm cache vs a trivial page, side by side.

    .venv/bin/python bench/recipes.py [--recipes 200] [--ingredients 8] [--seconds 2] [--rounds 3]

The real stack: a daphne subprocess serving the project's ASGI application (every
middleware, URL routing, templates) on a temporary SQLite database and a redis-server of
our own, and a bounded HTTP loop here (one keep-alive connection, one request at a time).
The four variants take turns for `--rounds` rounds of `--seconds` each, so a busy machine
slows them all alike. The naive, cold and trivial views exist only here, mounted by a
bench URLconf in front of the project's. Before timing, each variant is run once in this
process to count its queries and to check that (a), (b) and (c) render the same recipes.
Exits 1 when a target is missed: (c) >= 10x (a) and (c) within 2x of (d).
"""

import argparse
import http.client
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from devtools.processes import free_loopback_port, stop_process, wait_for_http  # noqa: E402
from devtools.redis_server import start_redis_server  # noqa: E402

VARIANTS = [
    ("(a) naive, no cache", "/bench/naive/"),
    ("(b) cold-optimised, no cache", "/bench/cold/"),
    ("(c) warm cache", "/"),
    ("(d) trivial page", "/bench/trivial/"),
]


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipes", type=int, default=200)
    parser.add_argument("--ingredients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=2.0, help="per variant per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--min-requests", type=int, default=10, help="per variant per round")
    parser.add_argument("--serve", type=int, metavar="PORT", help=argparse.SUPPRESS)
    return parser.parse_args()


def bench_environment(workdir, redis_url):
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "project.settings",
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,testserver",
        "DATABASE_URL": f"sqlite:///{workdir}/bench.sqlite3",
        "REDIS_URL": redis_url,
        "DJANGO_LOG_LEVEL": "WARNING",
    }


def setup_django_with_bench_urls():
    """django.setup() with the bench URLconf in front of the project's."""
    import django

    # DEBUG off makes whitenoise look for collected static files, which the bench skips.
    warnings.filterwarnings("ignore", message="No directory at")
    django.setup()
    from django.conf import settings
    from django.test import override_settings

    urlconf = type(sys)("bench_recipes_urls")
    urlconf.urlpatterns = bench_urlpatterns()
    # DEBUG off expects collected static files; the plain storage needs none.
    storages = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    override_settings(ROOT_URLCONF=urlconf, STORAGES=storages).enable()


def bench_urlpatterns():
    from django.http import HttpResponse
    from django.shortcuts import render
    from django.template import engines
    from django.template.loader import render_to_string
    from django.urls import include, path

    from cookbook import selectors
    from cookbook.models import Recipe

    def render_list_page(request, recipes):
        cards = render_to_string("cookbook/_recipe_cards.html", {"recipes": recipes})
        return render(request, "cookbook/recipe_list.html", {"recipes_html": cards})

    def naive_list(request):
        """No cache; one query per recipe for its ingredients (the N+1 way)."""
        recipes = [
            {
                "id": recipe.pk,
                "name": recipe.name,
                "desc": recipe.desc,
                "ingredients": [
                    {
                        "food": line.food.name,
                        "amount": line.amount_display,
                        "unit": line.unit_of_measure,
                        "desc": line.desc,
                    }
                    for line in recipe.ingredient_set.select_related("food").order_by("id")
                ],
            }
            for recipe in Recipe.objects.all()
        ]
        return render_list_page(request, recipes)

    def cold_list(request):
        """No cache; the selector's builder (prefetch_related, two queries)."""
        return render_list_page(request, selectors.build_recipe_list())

    # The ceiling: a tiny page of this site (its layout around one word), no data.
    tiny = engines["django"].from_string(
        '{% extends "base.html" %}{% block content %}<p>{{ message }}</p>{% endblock %}'
    )

    def trivial(request):
        return HttpResponse(tiny.render({"message": "ok"}, request))

    return [
        path("bench/naive/", naive_list),
        path("bench/cold/", cold_list),
        path("bench/trivial/", trivial),
        path("", include("project.urls")),
    ]


def serve(port):
    """The server subprocess: daphne on the project's ASGI application."""
    setup_django_with_bench_urls()
    from daphne.endpoints import build_endpoint_description_strings
    from daphne.server import Server

    from project.asgi import application

    endpoints = build_endpoint_description_strings(host="127.0.0.1", port=port)
    Server(application=application, endpoints=endpoints, verbosity=0).run()


def seed(recipe_count, per_recipe):
    from django.core.management import call_command

    from cookbook.models import Food, Ingredient, Recipe

    call_command("migrate", verbosity=0)
    foods = Food.objects.bulk_create(Food(name=f"food {n:03d}") for n in range(per_recipe * 10))
    recipes = Recipe.objects.bulk_create(
        Recipe(
            name=f"Recipe {n:04d}",
            desc=f"A dish worth making, number {n}, with a description of some length.",
            instructions="Prepare.\nCook.\nServe.",
        )
        for n in range(recipe_count)
    )
    Ingredient.objects.bulk_create(
        Ingredient(
            recipe=recipe,
            food=foods[(n * 3 + k) % len(foods)],
            amount=f"{k + 1}.125",
            unit_of_measure="cup",
            desc="chopped",
        )
        for n, recipe in enumerate(recipes)
        for k in range(per_recipe)
    )


def recipe_cards(content):
    start = content.index(b'<p class="recipe-count">')
    return content[start : content.index(b"</ul>", start)]


def check_variants():
    """In this process: each variant's query count, and the same recipes from (a), (b), (c)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    client.get("/")  # warm the cache for (c)
    bodies = []
    for label, url in VARIANTS:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        bodies.append(response.content)
        print(f"  {label:<28} {len(queries):>4} queries, {len(response.content):>7} bytes")
    naive, cold, warm = (recipe_cards(body) for body in bodies[:3])
    assert naive == cold == warm, "the three list variants must render the same recipes"


def measure(connection, url, seconds, min_requests=1):
    latencies = []
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline or len(latencies) < min_requests:
        started = time.perf_counter()
        connection.request("GET", url)
        response = connection.getresponse()
        response.read()
        latencies.append(time.perf_counter() - started)
        assert response.status == 200, (url, response.status)
    return latencies


def report(latencies):
    print(f"\n  {'variant':<28} {'requests':>8} {'req/s':>9} {'p50 ms':>8} {'p95 ms':>8}")
    rps = {}
    for label, _ in VARIANTS:
        samples = latencies[label]
        rps[label] = len(samples) / sum(samples)
        cuts = statistics.quantiles(samples, n=100)
        print(
            f"  {label:<28} {len(samples):>8} {rps[label]:>9.1f} "
            f"{cuts[49] * 1000:>8.2f} {cuts[94] * 1000:>8.2f}"
        )
    naive, cold, warm, trivial = (rps[label] for label, _ in VARIANTS)
    warm_vs_naive, trivial_vs_warm = warm / naive, trivial / warm
    print(
        f"\n  (c)/(a) = {warm_vs_naive:.1f}x  (target >= 10x)  "
        f"{'met' if warm_vs_naive >= 10 else 'MISSED'}"
    )
    print(
        f"  (d)/(c) = {trivial_vs_warm:.2f}x  (target <= 2x)   "
        f"{'met' if trivial_vs_warm <= 2 else 'MISSED'}"
    )
    print(f"  (c)/(b) = {warm / cold:.1f}x,  (b)/(a) = {cold / naive:.1f}x")
    return warm_vs_naive >= 10 and trivial_vs_warm <= 2


def main():
    args = parse_args()
    if args.serve:
        serve(args.serve)
        return
    with tempfile.TemporaryDirectory(prefix="bench-recipes-") as workdir:
        redis_port = free_loopback_port()
        redis_process = start_redis_server(port=redis_port, workdir=Path(workdir) / "redis")
        server = None
        try:
            environment = bench_environment(workdir, f"redis://127.0.0.1:{redis_port}/0")
            os.environ.update(environment)
            setup_django_with_bench_urls()
            seed(args.recipes, args.ingredients)
            print(
                f"{args.recipes} recipes x {args.ingredients} ingredients; daphne, DEBUG off, "
                "SQLite + redis-server; one keep-alive connection"
            )
            check_variants()

            port = free_loopback_port()
            server = subprocess.Popen(
                [sys.executable, __file__, "--serve", str(port)], cwd=BASE_DIR, env=environment
            )
            wait_for_http(f"http://127.0.0.1:{port}/bench/trivial/", server)
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            for _, url in VARIANTS:
                measure(connection, url, 0.2)  # warm-up: imports, templates, connections
            latencies = {label: [] for label, _ in VARIANTS}
            for _ in range(args.rounds):
                for label, url in VARIANTS:
                    latencies[label] += measure(connection, url, args.seconds, args.min_requests)
            connection.close()
            targets_met = report(latencies)
        finally:
            if server is not None:
                stop_process(server)
            stop_process(redis_process)
    sys.exit(0 if targets_met else 1)


if __name__ == "__main__":
    main()
