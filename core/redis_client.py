"""The process's one Redis client for the app's own small reads and writes (rate limits,
shared metrics): its pool is reused by every thread, and its short timeouts bound what a Redis
that does not answer costs a request."""

from functools import cache

import redis

TIMEOUT_SECONDS = 1


@cache
def shared_redis(redis_url: str) -> redis.Redis:
    return redis.Redis.from_url(
        redis_url, socket_connect_timeout=TIMEOUT_SECONDS, socket_timeout=TIMEOUT_SECONDS
    )
