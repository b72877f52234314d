from io import StringIO

import pytest
from django.core.management.base import OutputWrapper

from devtools.processes import free_loopback_port, stop_process
from devtools.redis_server import redis_answers
from devtools.run import RedisUnavailable, ensure_redis


def test_starts_its_own_redis_when_none_answers(settings, tmp_path):
    settings.BASE_DIR = tmp_path
    settings.REDIS_URL = f"redis://127.0.0.1:{free_loopback_port()}/0"
    assert not redis_answers(settings.REDIS_URL)
    out = StringIO()
    process = ensure_redis(OutputWrapper(out))
    try:
        assert process is not None
        assert redis_answers(settings.REDIS_URL)
        assert (tmp_path / ".run" / "redis" / "redis.log").exists()
        assert "Started a local Redis" in out.getvalue()
    finally:
        stop_process(process)
    assert not redis_answers(settings.REDIS_URL)


def test_reuses_a_redis_that_answers(redis_server, settings):
    settings.REDIS_URL = redis_server
    out = StringIO()
    assert ensure_redis(OutputWrapper(out)) is None
    assert out.getvalue() == f"Using the Redis at {redis_server}.\n"


def test_refuses_a_remote_redis_that_does_not_answer(settings):
    settings.REDIS_URL = "redis://redis.invalid:6379/0"
    with pytest.raises(RedisUnavailable, match="does not answer; start it or unset REDIS_URL"):
        ensure_redis(OutputWrapper(StringIO()))
