"""The cache backend (core.cache): Django's Redis cache with one client per pool, shared by
threads, and riding out a Redis that restarts."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCacheClient

from devtools.processes import free_loopback_port, stop_process
from devtools.redis_server import start_redis_server
from project.settings_helpers import redis_caches


def test_every_call_of_the_process_uses_one_client():
    client = cache._cache.get_client(write=True)
    assert cache._cache.get_client() is client
    assert cache._cache.get_client("another key") is client
    # Django's own builds one per call: what core.cache exists to avoid.
    django_client = RedisCacheClient(cache._servers, **cache._options)
    assert django_client.get_client() is not django_client.get_client()


def test_threads_share_the_client_and_each_reads_its_own_values():
    def round_trip(number: int) -> list[int]:
        seen = []
        for step in range(50):
            cache.set(f"thread-{number}", (number, step))
            seen.append(cache.get(f"thread-{number}")[1])
        return seen

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(round_trip, range(16)))
    assert results == [list(range(50))] * 16


@pytest.fixture
def restartable_cache(tmp_path, settings):
    port = free_loopback_port()
    workdir = tmp_path / "redis"
    servers = [start_redis_server(port=port, workdir=workdir)]
    settings.CACHES = redis_caches(f"redis://127.0.0.1:{port}/0")
    own_cache = caches["default"]

    def restart():
        stop_process(servers[-1])
        servers.append(start_redis_server(port=port, workdir=workdir))

    yield own_cache, restart
    stop_process(servers[-1])


def test_the_shared_client_reconnects_after_redis_restarts(restartable_cache):
    own_cache, restart = restartable_cache
    own_cache.set("before", 1)
    restart()
    # The pool's connections died with the server; the client takes a fresh one.
    assert own_cache.get("before") is None
    own_cache.set("after", 2)
    assert own_cache.get("after") == 2
