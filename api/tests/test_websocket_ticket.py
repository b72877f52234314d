"""API clients open the task websocket with a short-lived, single-use ticket instead of a
session cookie."""

import asyncio
import time
from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client, override_settings
from rest_framework.test import APIClient

from api.models import UserAPIKey
from api.services import revoke_api_key
from api.tests.conftest import client_with_jwt, client_with_key
from api.tokens import tokens_for
from chat.consumers import CLOSE_UNAUTHENTICATED
from chat.tests.test_consumers import (
    ORIGIN,
    RECEIVE_TIMEOUT,
    closed_with,
    connect,
    session_cookie,
)
from project.asgi import application
from users.models import Task
from users.tasks.services import publish_task_update

pytestmark = [pytest.mark.django_db(transaction=True)]


def new_ticket(user, password, client=None):
    client = client or client_with_jwt(user, password)
    response = client.post("/api/v1/ws-ticket/")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["url"] == f"ws://testserver/ws/task/?ticket={body['ticket']}"
    return {**body, "url": body["url"].removeprefix("ws://testserver")}


async def open_with(url):
    communicator = WebsocketCommunicator(application, url, headers=[ORIGIN])
    connected, _ = await communicator.connect(timeout=RECEIVE_TIMEOUT)
    assert connected
    return communicator


@override_settings(WEBSOCKET_SESSION_CHECK_SECONDS=0.3)
async def test_a_ticket_opens_the_owners_socket_once(user, password):
    ticket = await database_sync_to_async(new_ticket)(user, password)
    socket = await open_with(ticket["url"])
    await asyncio.sleep(1)  # a ticket socket survives its checks: it has no session to end
    task = Task(owner=user, kind=Task.Kind.STUDENT_CRUD)
    await database_sync_to_async(publish_task_update)(task)
    received = await socket.receive_json_from(timeout=RECEIVE_TIMEOUT)
    assert received["task_id"] == str(task.public_id)

    reused = await open_with(ticket["url"])
    assert await closed_with(reused) == CLOSE_UNAUTHENTICATED
    await socket.disconnect()


@pytest.mark.parametrize("query", ["?ticket=forged", "?ticket=", "?other=1"])
async def test_a_forged_or_missing_ticket_is_refused(db, query):
    socket = await open_with(f"/ws/task/{query}")
    assert await closed_with(socket) == CLOSE_UNAUTHENTICATED


@override_settings(WEBSOCKET_TICKET_SECONDS=1)
async def test_an_unused_ticket_expires(user, password):
    ticket = await database_sync_to_async(new_ticket)(user, password)
    await asyncio.sleep(1.5)
    socket = await open_with(ticket["url"])
    assert await closed_with(socket) == CLOSE_UNAUTHENTICATED


async def test_a_ticket_socket_closes_when_the_account_is_deactivated(user, password):
    ticket = await database_sync_to_async(new_ticket)(user, password)
    socket = await open_with(ticket["url"])
    user.is_active = False
    await database_sync_to_async(user.save)()
    assert await closed_with(socket) == CLOSE_UNAUTHENTICATED


async def test_the_session_socket_still_works_beside_tickets(user):
    cookie = await database_sync_to_async(session_cookie)(user)
    socket, connected, _ = await connect(cookie, ORIGIN)
    assert connected
    await socket.disconnect()


# The socket lives as long as the credential that asked for the ticket.

CHECKS = override_settings(WEBSOCKET_SESSION_CHECK_SECONDS=0.3)


def client_with_short_token(user, seconds):
    """An API client whose access token expires in `seconds`, and that expiry (epoch s)."""
    access = tokens_for(user).access_token
    access.set_exp(lifetime=timedelta(seconds=seconds))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client, access["exp"]


@CHECKS
async def test_a_jwt_socket_closes_when_its_access_token_expires(user, password):
    client, expiry = await database_sync_to_async(client_with_short_token)(user, 2)
    ticket = await database_sync_to_async(new_ticket)(user, password, client)
    socket = await open_with(ticket["url"])
    assert await closed_with(socket) == CLOSE_UNAUTHENTICATED
    assert time.time() >= expiry  # open as long as the token was good, however long that took


@CHECKS
async def test_a_jwt_socket_closes_when_the_password_changes(user, password):
    ticket = await database_sync_to_async(new_ticket)(user, password)
    socket = await open_with(ticket["url"])
    user.set_password("another-Long-passphrase-43")
    await database_sync_to_async(user.save)()
    assert await closed_with(socket) == CLOSE_UNAUTHENTICATED


@CHECKS
async def test_an_api_key_socket_closes_when_the_key_is_revoked(user, password):
    client = await database_sync_to_async(client_with_key)(user)
    ticket = await database_sync_to_async(new_ticket)(user, password, client)
    socket = await open_with(ticket["url"])
    assert await socket.receive_nothing(timeout=1)  # the key's socket survives its checks
    api_key = await UserAPIKey.objects.aget(user=user)
    await database_sync_to_async(revoke_api_key)(api_key=api_key)
    assert await closed_with(socket) == CLOSE_UNAUTHENTICATED


async def test_a_session_ticket_socket_closes_when_that_session_logs_out(user, password):
    browser = Client()
    await database_sync_to_async(browser.force_login)(user)
    api = APIClient()
    api.cookies = browser.cookies
    ticket = await database_sync_to_async(new_ticket)(user, password, api)
    socket = await open_with(ticket["url"])
    await database_sync_to_async(browser.post)("/accounts/logout/")
    assert await closed_with(socket) == CLOSE_UNAUTHENTICATED


async def test_a_ticket_whose_credential_ended_before_it_was_used_opens_nothing(user, password):
    ticket = await database_sync_to_async(new_ticket)(user, password)
    user.set_password("another-Long-passphrase-43")
    await database_sync_to_async(user.save)()
    socket = await open_with(ticket["url"])
    assert await closed_with(socket) == CLOSE_UNAUTHENTICATED
