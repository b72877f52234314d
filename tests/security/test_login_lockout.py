"""Failed logins: per account and per client address, locked out with a growing cool-off,
counted in Redis; a thousand wrong passwords get nowhere."""

import pytest
from django.urls import reverse

from devtools.processes import free_loopback_port
from project.settings_helpers import redis_backed_settings

pytestmark = pytest.mark.django_db

LOGIN = reverse("login")
JSON = {"HTTP_ACCEPT": "application/json"}


def attempt(client, email, password, *, address="198.51.100.7", **extra):
    return client.post(
        LOGIN, {"username": email, "password": password}, REMOTE_ADDR=address, **extra
    )


@pytest.fixture
def trust_nothing(settings):
    """Requests come straight from their REMOTE_ADDR (no proxy in front)."""
    settings.TRUSTED_PROXIES = []


def test_a_thousand_wrong_passwords_get_nowhere(client, user, password, settings, trust_nothing):
    limit = settings.AXES_FAILURE_LIMIT
    statuses = [attempt(client, user.email, f"guess-{n}").status_code for n in range(1000)]
    assert statuses[: limit - 1] == [400] * (limit - 1)
    assert set(statuses[limit - 1 :]) == {429}
    # Not even the right password opens a locked account, from that address or another.
    for address in ("198.51.100.7", "203.0.113.50"):
        response = attempt(client, user.email, password, address=address)
        assert response.status_code == 429
        assert "_auth_user_id" not in client.session


def test_the_lockout_answer_says_when_to_come_back(client, user, settings, trust_nothing):
    for n in range(settings.AXES_FAILURE_LIMIT):
        attempt(client, user.email, f"guess-{n}")
    page = attempt(client, user.email, "again")
    assert page.status_code == 429
    assert int(page["Retry-After"]) == settings.LOGIN_LOCKOUT_SECONDS
    assert "Too many failed log-ins" in page.text and "Try again in 5 minutes" in page.text
    assert page["Content-Type"].startswith("text/html")
    as_json = attempt(client, user.email, "again", **JSON)
    assert as_json.status_code == 429
    assert as_json.json() == {
        "error": "Too many failed log-ins for this account or from your network. "
        "Try again in 5 minutes."
    }


def test_the_lockout_grows_with_every_further_round_of_failures(
    client, user, settings, trust_nothing
):
    limit = settings.AXES_FAILURE_LIMIT
    retry_afters = []
    for round_ in range(4):
        for n in range(limit):
            response = attempt(client, user.email, f"guess-{round_}-{n}")
        retry_afters.append(int(response["Retry-After"]))
    base = settings.LOGIN_LOCKOUT_SECONDS
    assert retry_afters == [base, 2 * base, 4 * base, min(8 * base, 3600)]
    for n in range(20 * limit):
        response = attempt(client, user.email, f"more-{n}")
    assert int(response["Retry-After"]) == settings.LOGIN_LOCKOUT_MAX_SECONDS


def test_one_address_trying_many_accounts_is_locked_out(client, make_user, settings, trust_nothing):
    accounts = [make_user(f"user{n}@example.com") for n in range(settings.AXES_FAILURE_LIMIT)]
    for account in accounts:
        attempt(client, account.email, "wrong", address="192.0.2.10")
    fresh = make_user("fresh@example.com")
    assert attempt(client, fresh.email, "wrong", address="192.0.2.10").status_code == 429
    # The same account from another address is not locked by that address's failures.
    assert attempt(client, fresh.email, "wrong", address="192.0.2.11").status_code == 400


def test_many_addresses_against_one_account_lock_the_account(client, user, settings, trust_nothing):
    for n in range(settings.AXES_FAILURE_LIMIT):
        attempt(client, user.email, "wrong", address=f"192.0.2.{n + 1}")
    assert attempt(client, user.email, "wrong", address="192.0.2.200").status_code == 429
    # Case and spaces do not make another account of it.
    assert (
        attempt(client, f"  {user.email.upper()} ", "wrong", address="192.0.2.201").status_code
        == 429
    )


def test_forged_forwarded_addresses_do_not_escape_the_lockout(client, make_user, settings):
    """Behind the proxy (loopback, trusted by default), the client is the rightmost
    untrusted hop: rotating the left of X-Forwarded-For changes nothing."""
    assert "127.0.0.0/8" in settings.TRUSTED_PROXIES
    for n in range(settings.AXES_FAILURE_LIMIT):
        account = make_user(f"target{n}@example.com")
        response = attempt(
            client,
            account.email,
            "wrong",
            address="127.0.0.1",
            HTTP_X_FORWARDED_FOR=f"10.9.8.{n}, 203.0.113.9",
        )
    assert response.status_code == 429
    other = make_user("other@example.com")
    forged = attempt(
        client,
        other.email,
        "wrong",
        address="127.0.0.1",
        HTTP_X_FORWARDED_FOR="1.1.1.1, 203.0.113.9",
    )
    assert forged.status_code == 429


def test_a_successful_login_clears_the_account_failures(client, user, password, trust_nothing):
    for n in range(3):
        attempt(client, user.email, f"guess-{n}")
    response = attempt(client, user.email, password)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)


def test_logins_work_while_redis_is_down(client, user, password, trust_nothing, settings):
    dead = f"redis://127.0.0.1:{free_loopback_port()}/0"
    for name, value in redis_backed_settings(dead).items():
        setattr(settings, name, value)
    assert attempt(client, user.email, "wrong").status_code == 400
    assert attempt(client, user.email, password).status_code == 302
