import re
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

import pytest
from django.db.models import F
from playwright.sync_api import expect

from users.models import Task
from users.tasks.services import create_task, start_task

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def logged_in_page(page, client, user, live_daphne):
    client.force_login(user)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_daphne}]
    )
    return page


def test_a_row_catches_up_from_its_status_url_when_the_socket_reconnects(
    page, client, user, live_daphne
):
    """The task finishes while the tab has no socket, so no update reaches it: on
    reconnect, tasks.js reads the row's status URL and brings the row and a toast."""
    task = create_task(owner=user, kind=Task.Kind.STUDENT_CRUD)
    logged_in_page(page, client, user, live_daphne)
    socket_urls = []

    def drop_the_first_connection(socket):
        socket_urls.append(socket.url)
        if len(socket_urls) > 1:
            socket.connect_to_server()
            return
        Task.objects.filter(pk=task.pk).update(
            status=Task.Status.FINISHED,
            progress=100,
            message="Done quietly.",
            version=F("version") + 1,
        )
        socket.close()

    page.route_web_socket(re.compile(r"/ws/task/$"), drop_the_first_connection)
    page.goto(f"{live_daphne}/result/")
    row = page.locator(f'#task-table tr[data-task-id="{task.public_id}"]')
    expect(row.locator('[data-field="status"]')).to_have_text("finished")
    expect(row.locator('[data-field="progress-text"]')).to_have_text("100%")
    expect(row.locator('[data-field="message"]')).to_have_text("Done quietly.")
    toast = page.locator("#task-toasts .toast")
    expect(toast).to_contain_text("Task finished")
    expect(toast.get_by_role("link", name="See your tasks")).to_have_attribute("href", "/result/")
    # The meta names a path: the socket goes to the page's own host.
    assert socket_urls[0] == f"{live_daphne.replace('http://', 'ws://')}/ws/task/"
    expect(page.locator("body")).to_have_attribute("data-task-socket", "open")


def test_an_absolute_websocket_url_is_used_as_it_is(page, client, user, live_daphne):
    """WEBSOCKET_URL may name another host (a separate websocket tier): the page opens it
    there rather than on its own origin."""
    origin = live_daphne.replace("http://127.0.0.1", "ws://localhost")
    elsewhere = f"{origin}/ws/task/"
    logged_in_page(page, client, user, live_daphne)

    def as_if_configured_elsewhere(route):
        rendered = route.fetch()
        html = rendered.text()
        assert '<meta name="websocket-url" content="/ws/task/">' in html
        # Configured so, the Content-Security-Policy lets pages connect there too.
        policy = rendered.headers["content-security-policy"]
        assert policy.count("connect-src 'self'") == 1
        route.fulfill(
            response=rendered,
            body=html.replace('content="/ws/task/"', f'content="{elsewhere}"'),
            headers={
                **rendered.headers,
                "content-security-policy": policy.replace(
                    "connect-src 'self'", f"connect-src 'self' {origin}"
                ),
            },
        )

    page.route(f"{live_daphne}/", as_if_configured_elsewhere)
    with page.expect_websocket() as socket_info:
        page.goto(f"{live_daphne}/")
    assert socket_info.value.url == elsewhere


def test_a_late_catch_up_answer_never_moves_a_row_backwards(page, client, user, live_daphne):
    """The catch-up answer (queued) is held back until the socket has said "running": the
    row keeps the newer version it shows."""
    task = create_task(owner=user, kind=Task.Kind.STUDENT_CRUD)
    logged_in_page(page, client, user, live_daphne)
    held = []
    page.route(f"{live_daphne}/result/{task.public_id}/", lambda route: held.append(route))
    page.goto(f"{live_daphne}/result/")
    expect(page.locator("body")).to_have_attribute("data-task-socket", "open")
    row = page.locator(f'#task-table tr[data-task-id="{task.public_id}"]')
    expect(row).to_have_attribute("data-version", "0")
    deadline = time.monotonic() + 10
    while not held:  # Playwright delivers the route while it waits
        assert time.monotonic() < deadline, "the page never asked to catch up"
        page.wait_for_timeout(50)
    assert len(held) == 1
    stale = held[0].fetch()  # answered now: queued, version 0
    assert stale.json()["status"] == "queued"

    # Published from a thread of its own: Playwright's event loop runs in this one.
    with ThreadPoolExecutor(max_workers=1) as thread:
        thread.submit(start_task, task.public_id, message="Working").result()
    expect(row.locator('[data-field="status"]')).to_have_text("running")
    held[0].fulfill(response=stale)
    page.wait_for_timeout(500)
    expect(row.locator('[data-field="status"]')).to_have_text("running")
    expect(row).to_have_attribute("data-version", "1")


def test_a_page_logged_out_in_another_tab_stops_reconnecting(page, client, user, live_daphne):
    logged_in_page(page, client, user, live_daphne)
    sockets = []
    page.on("websocket", lambda socket: sockets.append(socket.url))
    page.goto(f"{live_daphne}/result/")
    expect(page.locator("body")).to_have_attribute("data-task-socket", "open")

    other_tab = page.context.new_page()
    other_tab.goto(f"{live_daphne}/")
    other_tab.get_by_role("navigation", name="Main").get_by_role("button", name="Log out").click()
    expect(other_tab.get_by_role("navigation", name="Main")).to_contain_text("Log in")

    # The server closed the first tab's socket (4401): it stays closed.
    expect(page.locator("body")).to_have_attribute("data-task-socket", "ended")
    page.wait_for_timeout(3000)  # longer than the first reconnect delays (0.25-1 s, 0.5-2 s)
    assert len(sockets) == 1


# How every page shows a date (core/templatetags/dates.py, App.formatTime in static/js/app.js).
DATE = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}")


def test_a_date_written_live_reads_like_one_the_server_rendered(browser, client, user, live_daphne):
    """tasks.js writes when a task started as its update arrives; the next load shows the
    server's: both in the one format and in UTC, in a browser set to another language and
    time zone."""
    context = browser.new_context(locale="de-DE", timezone_id="America/Los_Angeles")
    context.set_default_timeout(10_000)
    page = logged_in_page(context.new_page(), client, user, live_daphne)
    try:
        task = create_task(owner=user, kind=Task.Kind.STUDENT_CRUD)
        page.goto(f"{live_daphne}/result/")
        expect(page.locator("body")).to_have_attribute("data-task-socket", "open")
        row = page.locator(f'#task-table tr[data-task-id="{task.public_id}"]')
        created = row.locator('[data-field="created"]').inner_text()
        assert DATE.fullmatch(created), created

        # Published from a thread of its own: Playwright's event loop runs in this one.
        with ThreadPoolExecutor(max_workers=1) as thread:
            thread.submit(start_task, task.public_id, message="Working").result()
        expect(row.locator('[data-field="started"] time')).to_have_text(DATE)
        live = row.locator('[data-field="started"]').inner_text()

        page.reload()
        rendered = row.locator('[data-field="started"]').inner_text()
        assert DATE.fullmatch(rendered), rendered
        # The page's clock and the server's: seconds apart at most, never hours.
        gap = datetime.fromisoformat(live) - datetime.fromisoformat(rendered)
        assert abs(gap.total_seconds()) < 10, (live, rendered)
    finally:
        context.close()
