import configparser
import socket
from io import StringIO

import pytest
from django.core.management.base import OutputWrapper

from devtools.processes import free_loopback_port, stop_process
from devtools.redis_server import redis_answers
from devtools.run import (
    PortBusy,
    Ports,
    RedisUnavailable,
    check_ports_free,
    ensure_redis,
    mail_destination,
    supervisor_config,
)


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


def test_the_supervisor_config_runs_the_three_programs_and_restarts_them(tmp_path):
    config = configparser.RawConfigParser()
    config.read_string(
        supervisor_config(
            base_dir=tmp_path / "100% project",
            run_dir=tmp_path / ".run",
            python="/venv/bin/python",
            ports=Ports(http=8000),
        )
    )
    programs = {
        section.removeprefix("program:"): config[section]
        for section in config.sections()
        if section.startswith("program:")
    }
    assert set(programs) == {"web", "websocket", "worker"}
    for program in programs.values():
        assert program["autorestart"] == "true"
        assert program["stopasgroup"] == program["killasgroup"] == "true"
        # supervisord expands %(name)s: a literal % is doubled.
        assert program["directory"] == str(tmp_path / "100%% project")
    assert programs["web"]["command"] == (
        "/venv/bin/python -m gunicorn --config python:project.gunicorn_config "
        "--bind 127.0.0.1:8000 --access-logfile -"
    )
    assert "--port 8001 project.asgi:application" in programs["websocket"]["command"]
    assert programs["worker"]["command"].endswith("rqworker default --with-scheduler")
    # The control socket is private and needs the password written beside it.
    assert config["unix_http_server"]["chmod"] == "0700"
    assert config["unix_http_server"]["password"] == config["supervisorctl"]["password"]


def test_pages_find_daphne_on_the_next_port():
    assert Ports(http=8000).websocket == 8001
    assert Ports(http=8000).websocket_url == ":8001/ws/task/"


def test_a_busy_port_stops_the_run_command_with_a_clear_message():
    with socket.create_server(("127.0.0.1", 0)) as listener:
        port = listener.getsockname()[1]
        with pytest.raises(PortBusy, match=f"Port {port} is in use"):
            check_ports_free(Ports(http=port))
        with pytest.raises(PortBusy, match=f"Port {port} is in use"):
            check_ports_free(Ports(http=port - 1))


def test_the_welcome_says_where_mail_goes(settings, tmp_path):
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = tmp_path / "mail"
    assert f"under {tmp_path / 'mail'}/" in mail_destination()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "mail.example", 587
    assert "SMTP to mail.example:587" in mail_destination()
