"""The task websocket through the whole ASGI stack, on the real Redis channel layer."""

import asyncio

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

from chat.consumers import CLOSE_UNAUTHENTICATED
from project.asgi import application
from users.models import Task
from users.services import create_task, publish_task_update, start_task

pytestmark = [pytest.mark.django_db(transaction=True)]

ORIGIN = (b"origin", b"http://127.0.0.1")
RECEIVE_TIMEOUT = 10


def session_cookie(user, password):
    client = Client()
    client.force_login(user)
    return (b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode())


async def connect(*headers):
    communicator = WebsocketCommunicator(application, "/ws/task/", headers=list(headers))
    connected, code = await communicator.connect(timeout=RECEIVE_TIMEOUT)
    return communicator, connected, code


async def test_an_anonymous_socket_is_refused():
    _, connected, code = await connect(ORIGIN)
    assert not connected
    assert code == CLOSE_UNAUTHENTICATED


async def test_a_socket_from_another_origin_is_refused(make_user, password):
    cookie = await database_sync_to_async(session_cookie)(
        await database_sync_to_async(make_user)(), password
    )
    _, connected, _ = await connect(cookie, (b"origin", b"https://evil.example"))
    assert not connected


async def test_each_user_gets_only_their_own_updates_in_every_tab(make_user, password):
    alice = await database_sync_to_async(make_user)("alice@example.com")
    bob = await database_sync_to_async(make_user)("bob@example.com")
    alice_cookie = await database_sync_to_async(session_cookie)(alice, password)
    bob_cookie = await database_sync_to_async(session_cookie)(bob, password)

    alice_tab_1, connected_1, _ = await connect(alice_cookie, ORIGIN)
    alice_tab_2, connected_2, _ = await connect(alice_cookie, ORIGIN)
    bob_tab, connected_bob, _ = await connect(bob_cookie, ORIGIN)
    assert connected_1 and connected_2 and connected_bob

    task = await database_sync_to_async(create_task)(owner=alice, kind=Task.Kind.STUDENT_CRUD)
    await database_sync_to_async(start_task)(task.public_id, message="Working")

    expected = {
        "type": "task.update",
        "task_id": str(task.public_id),
        "status": "running",
        "progress": 0,
        "message": "Working",
        "result": None,
    }
    assert await alice_tab_1.receive_json_from(timeout=RECEIVE_TIMEOUT) == expected
    assert await alice_tab_2.receive_json_from(timeout=RECEIVE_TIMEOUT) == expected

    # Bob's own update reaches him, and it is the first and only thing he receives.
    bob_task = Task(owner=bob, kind=Task.Kind.STUDENT_CRUD, status="finished", progress=100)
    await database_sync_to_async(publish_task_update)(bob_task)
    received = await bob_tab.receive_json_from(timeout=RECEIVE_TIMEOUT)
    assert received["task_id"] == str(bob_task.public_id)
    assert await bob_tab.receive_nothing(timeout=0.5)
    assert await alice_tab_1.receive_nothing(timeout=0.1)

    for communicator in (alice_tab_1, alice_tab_2, bob_tab):
        await communicator.disconnect()


async def test_messages_from_the_client_are_ignored(user, password):
    cookie = await database_sync_to_async(session_cookie)(user, password)
    communicator, connected, _ = await connect(cookie, ORIGIN)
    assert connected
    await communicator.send_to(text_data="not json at all")
    await communicator.send_json_to({"type": "task.update", "task_id": "forged"})
    assert await communicator.receive_nothing(timeout=0.5)
    # Still open and listening.
    task = Task(owner=user, kind=Task.Kind.STUDENT_CRUD)
    await database_sync_to_async(publish_task_update)(task)
    assert (await communicator.receive_json_from(timeout=RECEIVE_TIMEOUT))["status"] == "queued"
    await communicator.disconnect()


async def test_connecting_and_disconnecting_write_nothing(user, password):
    cookie = await database_sync_to_async(session_cookie)(user, password)
    before = await database_sync_to_async(_database_snapshot)()
    communicator, connected, _ = await connect(cookie, ORIGIN)
    assert connected
    await communicator.disconnect()
    await asyncio.sleep(0)
    assert await database_sync_to_async(_database_snapshot)() == before


def _database_snapshot():
    from django.contrib.sessions.models import Session

    from users.models import CustomUser

    return (
        list(Session.objects.values_list("session_key", "session_data", "expire_date")),
        list(CustomUser.objects.values_list("id", "last_login")),
        list(Task.objects.values_list("id", "status")),
    )
