"""The recipe cache in Redis: versioned keys, one rebuild per cold key, the database when down.

Each scope (the list, or one recipe) has a version token that never expires. A cached
value lives under `cookbook:<scope>:<token>:<part>`, so invalidating a scope is one SET
of a fresh token: readers move to new keys at once and the old values age out with the
TTL. Tokens are bumped after the transaction commits, so a reader can never cache data
older than the token it read. When a key is cold, one request takes a short Redis lock
and builds it; the others poll until the value appears. If Redis does not answer, reads
go to the database and a warning is logged: pages never fail because of the cache.
"""

import logging
import secrets
import time

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

LIST_SCOPE = "list"
# A builder that dies keeps the lock for at most this long.
LOCK_TIMEOUT_SECONDS = 10
# Waiters poll this often, and give up waiting (and read the database) after WAIT_SECONDS.
POLL_SECONDS = 0.01
WAIT_SECONDS = 5
MISSING = object()


def recipe_scope(recipe_id):
    return f"recipe:{recipe_id}"


def read_through(scope, part, build):
    """The cached value of `part` in `scope`; `build()` makes it when it is missing.

    A `build()` that returns None (nothing to show) is not cached.
    """
    try:
        key = _versioned_key(scope, part)
        value = cache.get(key, MISSING)
        if value is MISSING:
            value = _build_once(key, build)
    except RedisError as exc:
        logger.warning("Recipe cache unavailable, reading %s from the database: %s", scope, exc)
        value = MISSING
    return build() if value is MISSING else value


def invalidate_recipes(recipe_ids):
    """After commit, move the list and these recipes to fresh keys."""
    scopes = [LIST_SCOPE, *(recipe_scope(recipe_id) for recipe_id in set(recipe_ids))]
    transaction.on_commit(lambda: _bump(scopes))


def _bump(scopes):
    try:
        cache.set_many({_version_key(scope): _new_token() for scope in scopes}, timeout=None)
    except RedisError as exc:
        # Nothing to do but tell: the TTL bounds how long the old values can be served.
        logger.error("Recipe cache not invalidated for %s: %s", ", ".join(scopes), exc)


def _version_key(scope):
    return f"cookbook:{scope}:version"


def _new_token():
    return secrets.token_hex(8)


def _versioned_key(scope, part):
    version_key = _version_key(scope)
    token = cache.get(version_key)
    if token is None:
        # A random first token, never a counter that restarts: an evicted token must
        # not bring back values cached under it before.
        cache.add(version_key, _new_token(), timeout=None)
        token = cache.get(version_key)
    return f"cookbook:{scope}:{token}:{part}"


def _build_once(key, build):
    """Build a cold key in one request only; MISSING when waiting took too long."""
    # The lock needs Redis itself (SET NX with a token, released by a Lua check-and-delete):
    # the redis-py client behind Django's cache, on the same connection pool.
    client = cache._cache.get_client(key, write=True)
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
            value = build()
            if value is not None:
                cache.set(key, value, timeout=settings.COOKBOOK_CACHE_TTL)
        return value
    finally:
        try:
            lock.release()
        except RedisError as exc:  # expired (LockError) or Redis went away meanwhile
            logger.warning("Recipe cache lock on %s not released: %s", key, exc)
