import socket

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django_rq import get_connection
from rq import Worker

from users.accounts.services import DEMO_EMAIL
from users.models import CustomUser


@pytest.mark.django_db
def test_create_demo_account_keeps_its_password_private_and_once(settings, tmp_path, capsys):
    settings.BASE_DIR = tmp_path
    call_command("create_demo_account")
    credentials = tmp_path / ".run" / "demo-account.txt"
    email, password = credentials.read_text().split()
    assert email == DEMO_EMAIL
    assert credentials.stat().st_mode & 0o777 == 0o600
    assert CustomUser.objects.get(email=DEMO_EMAIL).check_password(password)
    assert f"Created the demo account {DEMO_EMAIL}." in capsys.readouterr().out

    call_command("create_demo_account")
    assert f"{DEMO_EMAIL} already exists" in capsys.readouterr().out
    assert credentials.read_text().split() == [email, password]


def registered_worker(hostname):
    worker = Worker(["default"], connection=get_connection())
    worker.hostname = hostname
    worker.register_birth()
    return worker


def test_rq_worker_health_fails_without_a_worker_of_this_host():
    registered_worker("another-container")
    with pytest.raises(CommandError, match="no RQ worker of this container is registered"):
        call_command("rq_worker_health")


def test_rq_worker_health_passes_while_a_worker_of_this_host_is_registered(capsys):
    worker = registered_worker(socket.gethostname())
    call_command("rq_worker_health")
    assert "An RQ worker of this container is registered." in capsys.readouterr().out
    worker.register_death()
    with pytest.raises(CommandError):
        call_command("rq_worker_health")
