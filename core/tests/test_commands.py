import pytest
from django.core.management import call_command

from core.management.commands.runlocal import Command as RunLocal
from core.processes import free_loopback_port, stop_process
from core.redis_server import redis_answers
from users.models import CustomUser
from users.services import DEMO_EMAIL

pytestmark = pytest.mark.django_db


def test_load_demo_data_is_idempotent(settings, tmp_path):
    settings.BASE_DIR = tmp_path
    call_command("load_demo_data")
    email, password = (tmp_path / ".run" / "demo-account.txt").read_text().split()
    assert email == DEMO_EMAIL
    demo = CustomUser.objects.get(email=DEMO_EMAIL)
    assert demo.is_staff and demo.check_password(password)

    call_command("load_demo_data")
    assert CustomUser.objects.filter(email=DEMO_EMAIL).count() == 1
    demo.refresh_from_db()
    assert demo.check_password(password)


def test_runlocal_starts_its_own_redis_when_none_answers(settings, tmp_path):
    settings.BASE_DIR = tmp_path
    settings.REDIS_URL = f"redis://127.0.0.1:{free_loopback_port()}/0"
    assert not redis_answers(settings.REDIS_URL)
    process = RunLocal()._ensure_redis()
    try:
        assert process is not None
        assert redis_answers(settings.REDIS_URL)
    finally:
        stop_process(process)
    assert not redis_answers(settings.REDIS_URL)


def test_runlocal_reuses_a_redis_that_answers(redis_server, settings):
    settings.REDIS_URL = redis_server
    assert RunLocal()._ensure_redis() is None


def test_runlocal_refuses_a_remote_redis_that_does_not_answer(settings):
    from django.core.management.base import CommandError

    settings.REDIS_URL = "redis://redis.invalid:6379/0"
    with pytest.raises(CommandError, match="does not answer"):
        RunLocal()._ensure_redis()


def test_wait_for_services_returns_once_everything_answers(capsys):
    call_command("wait_for_services", timeout=5)
    assert "All services answer." in capsys.readouterr().out


def test_wait_for_services_names_what_does_not_answer(settings):
    from django.core.management.base import CommandError

    settings.REDIS_URL = f"redis://127.0.0.1:{free_loopback_port()}/0"
    with pytest.raises(CommandError, match=r"not answering after 0\.2s: redis"):
        call_command("wait_for_services", timeout=0.2, interval=0.1)
