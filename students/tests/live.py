"""Helpers for the tests that drive a live daphne and real RQ workers (both from
devtools.live): sessions, JSON posts, the task websocket."""

import json
import urllib.error
import urllib.request
from contextlib import contextmanager
from urllib.parse import urlsplit

from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from websockets.sync.client import connect


def session_for(user):
    """A saved session of a logged-in user, as a browser would hold it."""
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    return session.session_key


def csrf_post(base_url, path, body, content_type, session_key, *, json_answer=True):
    """A POST as the session's browser makes it, with a valid CSRF cookie and header."""
    token = "a" * 32
    headers = {
        "Content-Type": content_type,
        "Cookie": f"sessionid={session_key}; csrftoken={token}",
        "X-CSRFToken": token,
        "Origin": base_url,
    }
    if json_answer:
        headers["Accept"] = "application/json"
    return urllib.request.Request(base_url + path, data=body, headers=headers)


def answer_of(request, timeout=30):
    """(status, JSON body) of a request, whatever its status."""
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def post_json(base_url, path, data, session_key):
    """POST a form as a JSON client."""
    body = "&".join(f"{key}={value}" for key, value in data.items()).encode()
    return answer_of(
        csrf_post(base_url, path, body, "application/x-www-form-urlencoded", session_key)
    )


@contextmanager
def task_socket(base_url, session_key):
    host = urlsplit(base_url).netloc
    with connect(
        f"ws://{host}/ws/task/",
        origin=base_url,
        additional_headers={"Cookie": f"sessionid={session_key}"},
        open_timeout=30,
    ) as socket:
        yield socket


def receive_until(socket, done, timeout):
    """Task updates received until one satisfies `done` (inclusive)."""
    updates = []
    while True:
        update = json.loads(socket.recv(timeout=timeout))
        updates.append(update)
        if done(update):
            return updates
