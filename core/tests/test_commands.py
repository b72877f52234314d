from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from cookbook.models import Recipe
from devtools.processes import free_loopback_port
from users.accounts.services import DEMO_EMAIL
from users.models import CustomUser

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


def test_load_demo_data_runs_the_listed_commands_in_turn(settings):
    settings.DEMO_DATA_COMMANDS = ["load_recipes", "load_demo_students"]
    out = StringIO()
    call_command("load_demo_data", stdout=out)
    recipes, students = out.getvalue().splitlines()
    assert recipes.startswith("Loaded ") and recipes.endswith(" demo recipe(s).")
    assert students == "Created 200 demo students."
    assert not CustomUser.objects.exists()


def test_load_demo_data_refuses_a_command_that_does_not_exist_before_loading_anything(settings):
    settings.DEMO_DATA_COMMANDS = ["load_recipes", "load_unicorns"]
    with pytest.raises(CommandError, match="DEMO_DATA_COMMANDS names no command: load_unicorns"):
        call_command("load_demo_data", stdout=StringIO())
    assert not Recipe.objects.exists()


def test_wait_for_services_returns_once_everything_answers(capsys):
    call_command("wait_for_services", timeout=5)
    assert "All services answer." in capsys.readouterr().out


def test_wait_for_services_names_what_does_not_answer(settings):
    settings.REDIS_URL = f"redis://127.0.0.1:{free_loopback_port()}/0"
    with pytest.raises(CommandError, match=r"not answering after 0\.2s: redis"):
        call_command("wait_for_services", timeout=0.2, interval=0.1)
