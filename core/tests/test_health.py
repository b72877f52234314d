"""The probe registry behind /healthz and wait_for_services."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from core import health
from core.health import component_health, register_probe

pytestmark = pytest.mark.django_db


def test_each_app_registers_its_own_probes():
    healthy, components = component_health()
    assert healthy
    # core's three and the students' two (the engine, how the index keeps up), by name.
    assert list(components) == ["database", "redis", "search", "search_sync", "storage"]


def test_a_failing_probe_fails_the_whole_and_says_which(monkeypatch):
    def broken():
        raise ConnectionRefusedError("nothing listens")

    monkeypatch.setitem(health._probes, "broken", broken)
    healthy, components = component_health()
    assert not healthy
    assert components["broken"]["ok"] is False
    assert components["broken"]["error"] == "ConnectionRefusedError"
    assert components["database"]["ok"] is True


def test_registering_again_is_harmless_but_a_second_probe_under_one_name_is_refused():
    register_probe("database", health.database_probe)
    with pytest.raises(ImproperlyConfigured, match="'database'"):
        register_probe("database", lambda: {})
