"""The main navigation (core/templatetags/navigation.py) and the <meta> that names the
websocket, as every page renders them."""

import os
import subprocess
import sys
from html.parser import HTMLParser

import pytest
from django.conf import settings

pytestmark = pytest.mark.django_db

ANYONE = [("Recipes", "/")]
LOGGED_IN = [
    *ANYONE,
    ("Students", "/students/"),
    ("Upload", "/core/upload/"),
    ("Download", "/core/download/"),
    ("CRUD job", "/students/test/"),
    ("Tasks", "/result/"),
    ("API keys", "/accounts/api-keys/"),
]
STAFF = [
    *LOGGED_IN,
    ("Operations", "/operations/"),
    ("RQ dashboard", "/django-rq/"),
    ("Admin", "/admin/"),
]


class PageHead(HTMLParser):
    """The links of the main navigation (label, href, aria-current) and the page's <meta>s."""

    def __init__(self, html):
        super().__init__()
        self.links = []
        self.meta = {}
        self._in_navigation = False
        self._link = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "meta" and "name" in attributes:
            self.meta[attributes["name"]] = attributes.get("content")
        if tag == "ul" and attributes.get("class") == "nav-links":
            self._in_navigation = True
        if tag == "a" and self._in_navigation:
            self._link = [attributes["href"], attributes.get("aria-current"), ""]

    def handle_data(self, data):
        if self._link is not None:
            self._link[2] += data

    def handle_endtag(self, tag):
        if tag == "a" and self._link is not None:
            href, current, label = self._link
            self.links.append((label.strip(), href, current))
            self._link = None
        if tag == "ul":
            self._in_navigation = False


def head_of(client, path):
    response = client.get(path)
    assert response.status_code == 200
    return PageHead(response.text)


def test_anonymous_visitors_see_the_recipes_only(client):
    head = head_of(client, "/")
    assert head.links == [("Recipes", "/", "page")]


def test_logged_in_users_see_their_pages(client, user):
    client.force_login(user)
    head = head_of(client, "/")
    assert [(label, href) for label, href, _ in head.links] == LOGGED_IN


def test_staff_also_see_the_rq_dashboard_and_the_admin(client, make_user):
    client.force_login(make_user("staff@example.com", is_staff=True))
    head = head_of(client, "/")
    assert [(label, href) for label, href, _ in head.links] == STAFF


@pytest.mark.parametrize("label, path", LOGGED_IN)
def test_the_current_page_and_only_it_is_marked(client, user, label, path):
    client.force_login(user)
    head = head_of(client, path)
    assert [link_label for link_label, _, current in head.links if current == "page"] == [label]


def test_a_page_outside_the_navigation_marks_no_link(client):
    assert head_of(client, "/accounts/login/").links == [("Recipes", "/", None)]


def test_logged_in_pages_name_the_websocket(client, user):
    assert "websocket-url" not in head_of(client, "/").meta
    client.force_login(user)
    assert head_of(client, "/").meta["websocket-url"] == "/ws/task/"
    assert head_of(client, "/result/").meta["websocket-url"] == "/ws/task/"


def test_the_websocket_address_comes_from_the_setting(client, user, settings):
    settings.WEBSOCKET_URL = "wss://push.example.com/ws/task/?a=1&b=2"
    client.force_login(user)
    response = client.get("/")
    assert 'content="wss://push.example.com/ws/task/?a=1&amp;b=2"' in response.text
    assert PageHead(response.text).meta["websocket-url"] == settings.WEBSOCKET_URL


@pytest.mark.parametrize(
    ("host", "secure", "expected"),
    [
        ("localhost:8000", False, "ws://localhost:8001/ws/task/"),
        ("127.0.0.1:8000", False, "ws://127.0.0.1:8001/ws/task/"),
        ("[::1]:8000", False, "ws://[::1]:8001/ws/task/"),
        ("LocalHost", True, "wss://localhost:8001/ws/task/"),
    ],
)
def test_a_port_only_address_is_that_port_on_the_host_the_page_came_from(
    client, user, settings, host, secure, expected
):
    # `make run`: daphne on its own port. The session cookie only goes to the host name the
    # browser used for the page, so the socket must use that one.
    settings.WEBSOCKET_URL = ":8001/ws/task/"
    settings.ALLOWED_HOSTS = ["localhost", "127.0.0.1", "[::1]"]
    settings.SECURE_SSL_REDIRECT = False
    client.force_login(user)
    response = client.get("/", headers={"host": host}, secure=secure)
    assert PageHead(response.text).meta["websocket-url"] == expected


def test_a_port_only_address_needs_an_allowed_host(client, user, settings):
    settings.WEBSOCKET_URL = ":8001/ws/task/"
    settings.ALLOWED_HOSTS = ["localhost"]
    client.force_login(user)
    assert client.get("/", headers={"host": "evil.example:8000"}).status_code == 400


def test_the_setting_is_read_from_the_environment():
    read_setting = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.WEBSOCKET_URL)"
    )
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "project.settings"}
    unset = {name: value for name, value in environment.items() if name != "WEBSOCKET_URL"}
    for env, expected in [
        (unset, "/ws/task/"),
        (
            {**environment, "WEBSOCKET_URL": "wss://push.example.com/ws/"},
            "wss://push.example.com/ws/",
        ),
    ]:
        result = subprocess.run(
            [sys.executable, "-c", read_setting],
            cwd=settings.BASE_DIR,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        assert result.stdout.strip() == expected
