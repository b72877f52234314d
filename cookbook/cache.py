"""The recipe cache in Redis: one GET when warm, one rebuild per cold key, the database
when Redis is down.

Values live under fixed keys (`cookbook:list:html`, `cookbook:recipe:7:data` …) with a
TTL as a safety net. Writes invalidate after their transaction commits: they first give
each touched scope (the list, a recipe) a fresh generation token, then delete its keys.
A cold key is built by one request holding a short Redis lock while the others poll for
the value. The builder reads the generation before reading the database and checks it
again after storing: if a write committed meanwhile, it deletes what it stored, so data
older than a committed write never stays in the cache. If Redis does not answer, reads
go to the database with a warning: pages never fail because of the cache.
"""

import logging
import secrets
import time
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from redis.exceptions import RedisError

from core.metrics import counter

logger = logging.getLogger(__name__)

LIST_SCOPE = "list"
# The parts cached per scope: a write deletes them all.
LIST_PARTS = ("data", "html", "anonymous_page")
RECIPE_PARTS = ("data",)
# A builder that dies keeps the lock for at most this long.
LOCK_TIMEOUT_SECONDS = 10
# Waiters poll this often, and give up waiting (and read the database) after WAIT_SECONDS.
POLL_SECONDS = 0.01
WAIT_SECONDS = 5
MISSING = object()

Value = TypeVar("Value")


RECIPE_CACHE = counter(
    "app_recipe_cache_requests_total",
    "Reads of the recipe cache, by result (hit: served from Redis; miss: built from the database)",
    ["result"],
    per_request=True,
)


def recipe_scope(recipe_id: int) -> str:
    return f"recipe:{recipe_id}"


def read_through(scope: str, part: str, build: Callable[[], Value]) -> Value:
    """The cached value of `part` in `scope`; `build()` makes it when it is missing.

    A `build()` that returns None (nothing to show) is not cached.
    """
    key = _value_key(scope, part)
    try:
        value = cache.get(key, MISSING)
        RECIPE_CACHE.inc(result="miss" if value is MISSING else "hit")
        if value is MISSING:
            value = _build_once(scope, key, build)
    except RedisError as exc:
        logger.warning("Recipe cache unavailable, reading %s from the database: %s", scope, exc)
        value = MISSING
    return build() if value is MISSING else value


def invalidate_recipes(recipe_ids: Iterable[int]) -> None:
    """After commit, drop the cached list and these recipes."""
    scopes: dict[str, tuple[str, ...]] = {LIST_SCOPE: LIST_PARTS}
    scopes.update({recipe_scope(recipe_id): RECIPE_PARTS for recipe_id in set(recipe_ids)})
    transaction.on_commit(lambda: _invalidate(scopes))


def forget_everything() -> None:
    """Drop every cached value and generation (a restored database: any recipe may differ,
    or be gone). Their keys are found by their prefix, a batch at a time."""
    client = cache._cache.get_client(None, write=True)  # type: ignore[attr-defined]
    keys: list[bytes] = []
    try:
        for key in client.scan_iter(match=cache.make_and_validate_key("cookbook:*")):
            keys.append(key)
            if len(keys) == 500:
                client.delete(*keys)
                keys.clear()
        if keys:
            client.delete(*keys)
    except RedisError as exc:
        logger.error("Recipe cache not dropped: %s", exc)


def _invalidate(scopes: dict[str, tuple[str, ...]]) -> None:
    try:
        # Generations first: a builder that stores after the deletes sees the new one.
        cache.set_many({_generation_key(scope): _new_token() for scope in scopes}, timeout=None)
        cache.delete_many(
            [_value_key(scope, part) for scope, parts in scopes.items() for part in parts]
        )
    except RedisError as exc:
        # Nothing to do but tell: the TTL bounds how long old values can be served.
        logger.error("Recipe cache not invalidated for %s: %s", ", ".join(scopes), exc)


def _value_key(scope: str, part: str) -> str:
    return f"cookbook:{scope}:{part}"


def _generation_key(scope: str) -> str:
    return f"cookbook:{scope}:generation"


def _new_token() -> str:
    return secrets.token_hex(8)


def _generation(scope: str) -> Any:
    key = _generation_key(scope)
    token = cache.get(key)
    if token is None:
        cache.add(key, _new_token(), timeout=None)
        token = cache.get(key)
    return token


def _build_once(scope: str, key: str, build: Callable[[], Any]) -> Any:
    """Build a cold key in one request only; MISSING when waiting took too long."""
    # The lock needs Redis itself (SET NX with a token, released by a Lua check-and-delete):
    # the redis-py client behind Django's cache, on the same connection pool (a private
    # attribute of RedisCache that the stubs do not declare).
    client = cache._cache.get_client(key, write=True)  # type: ignore[attr-defined]
    lock = client.lock(cache.make_and_validate_key(f"{key}:lock"), timeout=LOCK_TIMEOUT_SECONDS)
    deadline = time.monotonic() + WAIT_SECONDS
    while not lock.acquire(blocking=False):
        time.sleep(POLL_SECONDS)
        value = cache.get(key, MISSING)
        if value is not MISSING or time.monotonic() > deadline:
            return value
    try:
        # The previous holder may have stored it between our miss and our lock.
        value = cache.get(key, MISSING)
        if value is MISSING:
            generation = _generation(scope)
            value = build()
            if value is not None:
                cache.set(key, value, timeout=settings.COOKBOOK_CACHE_TTL)
                if _generation(scope) != generation:
                    cache.delete(key)  # a write committed during the build
        return value
    finally:
        try:
            lock.release()
        except RedisError as exc:  # expired (LockError) or Redis went away meanwhile
            logger.warning("Recipe cache lock on %s not released: %s", key, exc)
