"""Django's Redis cache backend, with one Redis client per connection pool.

Django's own client builds a new `redis.Redis` (and its table of response callbacks) for
every cache call: about 0.25 ms of CPU each on this project's machine, a large share of a
cached page. A `redis.Redis` is safe to share between threads (each command borrows a
connection from the pool), so one per pool serves every thread of the process; the pool
itself starts afresh in a forked process.
"""

from collections.abc import Callable
from typing import Any

from django.core.cache.backends.redis import RedisCache, RedisCacheClient


class ReusedClientRedisCacheClient(RedisCacheClient):
    # Django's own attributes, which django-stubs leaves out.
    _client: Any
    _get_connection_pool: Callable[[bool], Any]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients.setdefault(id(pool), self._client(connection_pool=pool))
        return client


class ReusedClientRedisCache(RedisCache):
    """settings.CACHES' backend: Django's RedisCache with the client above."""

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = ReusedClientRedisCacheClient
