"""Every limit of the site, in one place, counted in Redis.

A limit is declared once here, by name: `RateLimit` (so many hits per period, the rate in
`settings.RATE_LIMITS[name]`, e.g. "600/minute", from `RATE_LIMIT_<NAME>`) or
`ConcurrencyLimit` (so many at once, `settings.CONCURRENCY_LIMITS[name]`). Views apply it
with `limit.hit(request)` (or the `rate_limited` decorator); past it they raise
`core.http.TooManyRequests`, which the middleware answers with 429, `Retry-After` and the
limit's message in HTML or JSON. Counting uses the `limits` library (sliding window
counters, one Redis key per limit and identity).

Failed logins are counted by django-axes (see `users.accounts.lockout`), on the same Redis.

When Redis does not answer, limits let requests through and log a warning: an outage of
the counter store must not take the site down with it.
"""

import logging
import math
import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache, wraps
from typing import Literal, TypeVar

import redis
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from limits import RateLimitItem, parse
from limits.storage import RedisStorage
from limits.strategies import SlidingWindowCounterRateLimiter

from core.client_address import client_ip
from core.http import TooManyRequests
from core.redis_client import shared_redis

logger = logging.getLogger(__name__)

KEY_PREFIX = "app:limits"

Per = Literal["user", "address"]

# Seconds to wait before trying again when every slot of a concurrency limit is taken.
DEFAULT_CONCURRENCY_RETRY_AFTER = 10


def request_identity(request: HttpRequest, per: Per) -> str:
    """Who a limit counts: the logged-in user, or the client's address (core.client_address)."""
    if per == "user" and request.user.is_authenticated:
        return f"user:{request.user.pk}"
    return f"address:{client_ip(request)}"


@cache
def _limiter(redis_url: str) -> SlidingWindowCounterRateLimiter:
    storage = RedisStorage(
        redis_url, key_prefix=KEY_PREFIX, socket_connect_timeout=1, socket_timeout=1
    )
    return SlidingWindowCounterRateLimiter(storage)


@dataclass(frozen=True)
class RateLimit:
    """At most N hits per period for one identity (a user or a client address)."""

    name: str
    per: Per
    message: str

    @property
    def item(self) -> RateLimitItem:
        return parse(settings.RATE_LIMITS[self.name])

    def hit(self, request: HttpRequest, *, cost: int = 1, identity: str | None = None) -> None:
        """Count `cost` for the request's identity (or `identity`, e.g. an API key);
        raises TooManyRequests when that would go past the limit (nothing is counted then)."""
        self._consume(identity or request_identity(request, self.per), cost, count=True)

    def check(self, request: HttpRequest, *, cost: int = 1, identity: str | None = None) -> None:
        """Raise TooManyRequests when `cost` more would go past the limit, counting nothing
        (e.g. before reading an upload whose size is only known once it is stored)."""
        self._consume(identity or request_identity(request, self.per), cost, count=False)

    def record(self, request: HttpRequest, *, cost: int = 1, identity: str | None = None) -> None:
        """Count `cost` for work already done (after a `check`): never raises; a window that
        filled up meanwhile refuses the next request instead."""
        identity = identity or request_identity(request, self.per)
        try:
            _limiter(settings.REDIS_URL).hit(self.item, self.name, identity, cost=cost)
        except redis.RedisError:
            logger.warning("rate limit %s not counted: Redis did not answer", self.name)

    def reset(self, identity: str) -> None:
        """Forget what `identity` used (tests, support)."""
        _limiter(settings.REDIS_URL).clear(self.item, self.name, identity)

    def _consume(self, identity: str, cost: int, *, count: bool) -> None:
        limiter = _limiter(settings.REDIS_URL)
        item = self.item
        try:
            if count:
                allowed = limiter.hit(item, self.name, identity, cost=cost)
            else:
                allowed = limiter.test(item, self.name, identity, cost=cost)
            if allowed:
                return
            reset_at = limiter.get_window_stats(item, self.name, identity).reset_time
        except redis.RedisError:
            logger.warning("rate limit %s not applied: Redis did not answer", self.name)
            return
        retry_after = max(1, math.ceil(reset_at - time.time()))
        if cost > item.amount:
            # More than the whole limit at once: waiting for the window will not help.
            retry_after = int(item.get_expiry())
        raise TooManyRequests(self.message, retry_after=retry_after)


@dataclass(frozen=True)
class ConcurrencyLimit:
    """At most N at once for one identity, each held as a lease in a Redis sorted set that
    expires after `lease_seconds` unless renewed (a process that dies frees its slots)."""

    name: str
    per: Per
    message: str
    lease_seconds: int = 120

    @property
    def maximum(self) -> int:
        return int(settings.CONCURRENCY_LIMITS[self.name])

    def acquire(self, request: HttpRequest) -> "Lease":
        """A lease on one slot; raises TooManyRequests when every slot is taken."""
        key = f"{KEY_PREFIX}:{self.name}:{request_identity(request, self.per)}"
        token = secrets.token_hex(8)
        client = shared_redis(settings.REDIS_URL)
        now = time.time()
        try:
            pipeline = client.pipeline()
            pipeline.zremrangebyscore(key, "-inf", now)
            pipeline.zadd(key, {token: now + self.lease_seconds})
            pipeline.zrank(key, token)
            pipeline.expire(key, self.lease_seconds)
            _, _, rank, _ = pipeline.execute()
        except redis.RedisError:
            logger.warning("concurrency limit %s not applied: Redis did not answer", self.name)
            return Lease(None, key, token, self.lease_seconds)
        lease = Lease(client, key, token, self.lease_seconds)
        # Leases rank by expiry and the new one expires last: its rank is the number of
        # slots already held.
        if rank is not None and rank >= self.maximum:
            lease.release()
            raise TooManyRequests(self.message, retry_after=DEFAULT_CONCURRENCY_RETRY_AFTER)
        return lease


class Lease:
    """One slot of a ConcurrencyLimit: renew it while the work goes on, release it at the end."""

    def __init__(
        self, client: redis.Redis | None, key: str, token: str, lease_seconds: int
    ) -> None:
        self._client = client
        self._key = key
        self._token = token
        self._lease_seconds = lease_seconds
        self._renewed_at = time.monotonic()

    def renew(self) -> None:
        """Push the expiry back, at most once a third of a lease (cheap to call often)."""
        client = self._client
        if client is None or time.monotonic() - self._renewed_at < self._lease_seconds / 3:
            return
        self._renewed_at = time.monotonic()
        try:
            client.zadd(self._key, {self._token: time.time() + self._lease_seconds}, xx=True)
            client.expire(self._key, self._lease_seconds)
        except redis.RedisError:
            logger.warning("could not renew a lease of %s", self._key)

    def release(self) -> None:
        """Free the slot (once; later calls do nothing)."""
        client, self._client = self._client, None
        if client is None:
            return
        try:
            client.zrem(self._key, self._token)
        except redis.RedisError:
            logger.warning("could not release a lease of %s; it expires by itself", self._key)

    def hold_while(self, chunks: Iterator[bytes]) -> "HeldChunks":
        """`chunks`, renewing the lease as they go; released when they end or are closed."""
        return HeldChunks(self, chunks)


class HeldChunks:
    """An iterator that holds a lease while it is read. Its `close()` (which a streaming
    response calls when it ends, or when the client goes away, even before the first
    chunk) releases the lease."""

    def __init__(self, lease: Lease, chunks: Iterator[bytes]) -> None:
        self._lease = lease
        self._chunks = chunks

    def __iter__(self) -> "HeldChunks":
        return self

    def __next__(self) -> bytes:
        try:
            chunk = next(self._chunks)
        except BaseException:
            self.close()
            raise
        self._lease.renew()
        return chunk

    def close(self) -> None:
        self._lease.release()
        close = getattr(self._chunks, "close", None)
        if close is not None:
            close()


View = TypeVar("View", bound=Callable[..., HttpResponse])


def rate_limited(
    limit: RateLimit, *, methods: frozenset[str] = frozenset({"POST"})
) -> Callable[[View], View]:
    """Apply `limit` to the requests of `methods` a view receives (by default its POSTs)."""

    def decorator(view: View) -> View:
        @wraps(view)
        def limited(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
            if request.method in methods:
                limit.hit(request)
            return view(request, *args, **kwargs)

        return limited  # type: ignore[return-value]

    return decorator


# The site's limits. Rates and maximums come from settings (RATE_LIMIT_<NAME> and the
# variables the README lists); the messages are what people read.
SIGNUP = RateLimit(
    "signup",
    per="address",
    message="Too many accounts were created from your network; try again later.",
)
PASSWORD_RESET = RateLimit(
    "password_reset",
    per="address",
    message="Too many password reset requests from your network; try again later.",
)
VERIFICATION_MAIL = RateLimit(
    "verification_mail",
    per="address",
    message="Too many confirmation mails were asked for from your network; try again later.",
)
JOB_START = RateLimit(
    "job_start",
    per="user",
    message="You have started the CRUD job too often; wait before starting it again.",
)
SEARCH = RateLimit(
    "search",
    per="user",
    message="You are searching faster than the site allows; wait a moment.",
)
UPLOAD_BYTES = RateLimit(
    "upload_bytes",
    per="user",
    message="You have uploaded as much as the site allows in an hour; nothing was uploaded. "
    "Try again later.",
)
API = RateLimit(
    "api",
    per="user",
    message="Too many API requests; slow down and try again later.",
)
ZIP_DOWNLOADS = ConcurrencyLimit(
    "zip_downloads",
    per="user",
    message="You are already downloading as many folders at once as the site allows; "
    "wait for one to finish.",
)

RATE_LIMITS = (SIGNUP, PASSWORD_RESET, VERIFICATION_MAIL, JOB_START, SEARCH, UPLOAD_BYTES, API)
CONCURRENCY_LIMITS = (ZIP_DOWNLOADS,)
