"""The task websocket through the whole ASGI stack, on the real Redis channel layer."""

import asyncio

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.sessions.models import Session
from django.test import Client, override_settings

from chat.consumers import CLOSE_UNAUTHENTICATED
from chat.metrics import OPEN_SOCKETS
from core.metrics import reset_shared_metrics
from project.asgi import application
from project.settings_helpers import redis_channel_layers
from users.models import Task
from users.tasks.services import create_task, publish_task_update, start_task

pytestmark = [pytest.mark.django_db(transaction=True)]

ORIGIN = (b"origin", b"http://127.0.0.1")
RECEIVE_TIMEOUT = 10


def logged_in_client(user):
    client = Client()
    client.force_login(user)
    return client


def cookie_of(client):
    return (b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode())


def session_cookie(user):
    return cookie_of(logged_in_client(user))


async def closed_with(communicator):
    """The close code the server sent (it closes after accepting)."""
    output = await communicator.receive_output(timeout=RECEIVE_TIMEOUT)
    assert output["type"] == "websocket.close"
    return output["code"]


async def connect(*headers):
    communicator = WebsocketCommunicator(application, "/ws/task/", headers=list(headers))
    connected, code = await communicator.connect(timeout=RECEIVE_TIMEOUT)
    return communicator, connected, code


async def test_an_anonymous_socket_is_accepted_then_closed_with_4401():
    # A refused handshake would reach the browser as an HTTP 403, which it cannot tell
    # from a network error (close code 1006): the page would reconnect for ever.
    communicator, connected, _ = await connect(ORIGIN)
    assert connected
    assert await closed_with(communicator) == CLOSE_UNAUTHENTICATED


async def test_a_socket_from_another_origin_is_refused(make_user):
    cookie = await database_sync_to_async(session_cookie)(await database_sync_to_async(make_user)())
    _, connected, _ = await connect(cookie, (b"origin", b"https://evil.example"))
    assert not connected


async def test_each_user_gets_only_their_own_updates_in_every_tab(make_user):
    alice = await database_sync_to_async(make_user)("alice@example.com")
    bob = await database_sync_to_async(make_user)("bob@example.com")
    alice_cookie = await database_sync_to_async(session_cookie)(alice)
    bob_cookie = await database_sync_to_async(session_cookie)(bob)

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
        "position": None,
        "eta_seconds": None,
        "retry_of": None,
        "version": 1,
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


async def test_messages_from_the_client_are_ignored(user):
    cookie = await database_sync_to_async(session_cookie)(user)
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


async def test_connecting_and_disconnecting_write_nothing(user):
    cookie = await database_sync_to_async(session_cookie)(user)
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


async def test_logging_out_closes_the_sockets_of_that_session_only(make_user):
    alice = await database_sync_to_async(make_user)()
    laptop = await database_sync_to_async(logged_in_client)(alice)
    phone = await database_sync_to_async(logged_in_client)(alice)
    laptop_tab_1, connected_1, _ = await connect(cookie_of(laptop), ORIGIN)
    laptop_tab_2, connected_2, _ = await connect(cookie_of(laptop), ORIGIN)
    phone_tab, connected_phone, _ = await connect(cookie_of(phone), ORIGIN)
    assert connected_1 and connected_2 and connected_phone

    await database_sync_to_async(laptop.post)("/accounts/logout/")

    assert await closed_with(laptop_tab_1) == CLOSE_UNAUTHENTICATED
    assert await closed_with(laptop_tab_2) == CLOSE_UNAUTHENTICATED
    task = Task(owner=alice, kind=Task.Kind.STUDENT_CRUD)
    await database_sync_to_async(publish_task_update)(task)
    assert (await phone_tab.receive_json_from(timeout=RECEIVE_TIMEOUT))["status"] == "queued"
    await phone_tab.disconnect()


async def test_deactivating_an_account_closes_all_its_sockets(make_user):
    alice = await database_sync_to_async(make_user)()
    tabs = []
    for _ in range(2):
        cookie = await database_sync_to_async(session_cookie)(alice)
        tab, connected, _ = await connect(cookie, ORIGIN)
        assert connected
        tabs.append(tab)

    alice.is_active = False
    await database_sync_to_async(alice.save)()

    for tab in tabs:
        assert await closed_with(tab) == CLOSE_UNAUTHENTICATED


async def test_logging_out_everywhere_closes_every_socket_of_the_user_only(make_user):
    alice = await database_sync_to_async(make_user)()
    bob = await database_sync_to_async(make_user)("bob@example.com")
    laptop = await database_sync_to_async(logged_in_client)(alice)
    tabs = []
    for client in (laptop, await database_sync_to_async(logged_in_client)(alice)):
        tab, connected, _ = await connect(cookie_of(client), ORIGIN)
        assert connected
        tabs.append(tab)
    bobs_tab, connected, _ = await connect(
        await database_sync_to_async(session_cookie)(bob), ORIGIN
    )
    assert connected

    await database_sync_to_async(laptop.post)("/accounts/logout/everywhere/")

    for tab in tabs:
        assert await closed_with(tab) == CLOSE_UNAUTHENTICATED
    assert await bobs_tab.receive_nothing(timeout=0.5)
    await bobs_tab.disconnect()


@override_settings(WEBSOCKET_SESSION_CHECK_SECONDS=0.3)
async def test_a_session_that_ends_unannounced_closes_its_socket_at_the_next_check(user):
    """Expiry, or a logout whose message was lost: the socket's own check catches it."""
    cookie = await database_sync_to_async(session_cookie)(user)
    communicator, connected, _ = await connect(cookie, ORIGIN)
    assert connected
    assert await communicator.receive_nothing(timeout=1)  # checked, still current
    await database_sync_to_async(Session.objects.all().delete)()
    assert await closed_with(communicator) == CLOSE_UNAUTHENTICATED


@pytest.mark.parametrize("rejoins", [True, False])
async def test_a_socket_open_past_the_group_expiry_keeps_receiving_by_joining_again(
    user, redis_server, rejoins
):
    """channels_redis forgets group members after its group expiry (a day in production,
    2 s here); a socket that joins again at each session check keeps its updates, one
    that would not (a check interval longer than the expiry) loses them."""
    layers = redis_channel_layers(redis_server, group_expiry=2)
    with override_settings(
        CHANNEL_LAYERS=layers, WEBSOCKET_SESSION_CHECK_SECONDS=0.25 if rejoins else 60
    ):
        cookie = await database_sync_to_async(session_cookie)(user)
        communicator, connected, _ = await connect(cookie, ORIGIN)
        assert connected
        await asyncio.sleep(3.5)
        task = Task(owner=user, kind=Task.Kind.STUDENT_CRUD)
        await database_sync_to_async(publish_task_update)(task)
        if rejoins:
            received = await communicator.receive_json_from(timeout=RECEIVE_TIMEOUT)
            assert received["task_id"] == str(task.public_id)
        else:
            assert await communicator.receive_nothing(timeout=1)
        await communicator.disconnect()


async def test_open_sockets_are_counted_for_metrics(user):
    def open_sockets():
        [gauge] = OPEN_SOCKETS.collect()
        return gauge.samples[0].value

    # Sockets that other tests' daphnes left may expire from the count meanwhile.
    await database_sync_to_async(reset_shared_metrics)()
    before = await database_sync_to_async(open_sockets)()
    assert before == 0
    cookie = await database_sync_to_async(session_cookie)(user)
    communicator, connected, _ = await connect(cookie, ORIGIN)
    assert connected
    assert await database_sync_to_async(open_sockets)() == before + 1
    await communicator.disconnect()
    assert await database_sync_to_async(open_sockets)() == before
