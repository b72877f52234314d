import pytest
from django.contrib.auth import get_user
from django.urls import reverse

from users.models import CustomUser

pytestmark = pytest.mark.django_db


def signup(client, email="new@example.com", password1="a-Long-enough-passphrase-42", **extra):
    data = {"email": email, "password1": password1, "password2": extra.pop("password2", password1)}
    return client.post(reverse("signup"), {**data, **extra})


def test_signup_page_renders_the_form(client):
    response = client.get(reverse("signup"))
    assert response.status_code == 200
    for field in ("email", "password1", "password2"):
        assert f'name="{field}"' in response.text


def test_signup_creates_the_account_and_logs_in(client):
    response = signup(client)
    assert response.status_code == 302
    assert response.url == "/"
    user = get_user(client)
    assert user.is_authenticated and user.email == "new@example.com"


def test_signup_follows_a_safe_next_only(client):
    assert signup(client, next="/healthz").url == "/healthz"
    client.logout()
    assert signup(client, email="other@example.com", next="https://evil.example/").url == "/"


def test_signup_rejects_a_duplicate_email_whatever_its_case(client, user):
    response = signup(client, email="ALICE@example.com")
    assert response.status_code == 400
    assert "already exists" in response.text
    assert CustomUser.objects.count() == 1


@pytest.mark.parametrize(
    ("password1", "expected"),
    [
        ("short", "too short"),
        ("password123", "too common"),
        ("8412957306", "entirely numeric"),
    ],
)
def test_signup_rejects_a_weak_password(client, password1, expected):
    response = signup(client, password1=password1)
    assert response.status_code == 400
    assert expected in response.text
    assert not CustomUser.objects.exists()


def test_signup_rejects_mismatched_passwords(client):
    response = signup(client, password2="something-else-entirely-9")
    assert response.status_code == 400
    assert "fields didn" in response.text


def test_signup_reports_missing_fields(client):
    response = client.post(reverse("signup"), {})
    assert response.status_code == 400
    assert response.text.count("This field is required.") == 3


def test_signup_rejects_an_invalid_email(client):
    response = signup(client, email="not-an-email")
    assert response.status_code == 400
    assert "valid email address" in response.text


def test_login_with_the_email(client, user, password):
    response = client.post(
        reverse("login"), {"username": user.email, "password": password, "next": "/healthz"}
    )
    assert response.status_code == 302
    assert response.url == "/healthz"
    assert get_user(client) == user


def test_login_with_a_wrong_password_says_so(client, user):
    response = client.post(reverse("login"), {"username": user.email, "password": "wrong"})
    assert response.status_code == 400
    assert "Please enter a correct email address and password" in response.text
    assert not get_user(client).is_authenticated


def test_login_with_missing_fields(client):
    response = client.post(reverse("login"), {})
    assert response.status_code == 400
    assert response.text.count("This field is required.") == 2


def test_login_for_an_inactive_user_fails(client, make_user, password):
    inactive = make_user("gone@example.com", is_active=False)
    response = client.post(reverse("login"), {"username": inactive.email, "password": password})
    assert response.status_code == 400


def test_logout_needs_a_post(client, user):
    client.force_login(user)
    assert client.get(reverse("logout")).status_code == 405
    assert get_user(client).is_authenticated
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert not get_user(client).is_authenticated


def test_logout_is_csrf_protected(user):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    assert client.post(reverse("logout")).status_code == 403
    assert get_user(client).is_authenticated


def test_rq_dashboard_is_for_staff_only(client, make_user):
    anonymous = client.get("/django-rq/")
    assert anonymous.status_code == 302
    assert "/login/" in anonymous.url

    client.force_login(make_user("plain@example.com"))
    assert client.get("/django-rq/").status_code == 302

    client.force_login(make_user("staff@example.com", is_staff=True))
    assert client.get("/django-rq/").status_code == 200


def test_navigation_shows_login_state(client, user):
    anonymous = client.get("/")
    assert "Log in" in anonymous.text and "Sign up" in anonymous.text
    client.force_login(user)
    logged_in = client.get("/")
    assert user.email in logged_in.text
    assert "Log out" in logged_in.text
    assert "RQ dashboard" not in logged_in.text


def test_staff_navigation_links_to_the_rq_dashboard_and_admin(client, make_user):
    client.force_login(make_user("staff@example.com", is_staff=True))
    response = client.get("/")
    assert response.status_code == 200
    assert 'href="/django-rq/"' in response.text
    assert 'href="/admin/"' in response.text


@pytest.mark.parametrize("path", ["/students/", "/students/test/", "/result/", "/core/upload/"])
def test_a_page_that_needs_login_goes_to_login_and_back(client, user, password, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next={path}"

    login_page = client.get(response.url)
    assert f'name="next" value="{path}"' in login_page.text

    logged_in = client.post(
        reverse("login"), {"username": user.email, "password": password, "next": path}
    )
    assert logged_in.status_code == 302
    assert logged_in.url == path
    assert client.get(path).status_code == 200
