"""Job control in the browser: cancel and retry buttons, rows that follow cancels and
positions live, the opt-in notification, and the staff operations page's SVG charts."""

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from students.services import start_crud_job
from users.models import Task
from users.tasks.controls import cancel_task
from users.tasks.services import finish_task, start_task
from users.tests.tasks.test_browser import logged_in_page

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]

# Stands in for the browser's Notification API (headless Chromium shows none) and lets the
# test say whether the tab is hidden; Playwright injects it, so the page's CSP is untouched.
FAKE_NOTIFICATIONS = """
window.__notifications = [];
window.__hidden = false;
Object.defineProperty(document, "hidden", { get: () => window.__hidden });
window.Notification = class {
  static permission = "default";
  static requestPermission() {
    window.Notification.permission = "granted";
    return Promise.resolve("granted");
  }
  constructor(title, options) { window.__notifications.push({ title, body: options.body }); }
};
"""


def in_thread(function, *args, **kwargs):
    """Publishing runs async_to_sync: not in this thread, where Playwright's loop runs."""
    with ThreadPoolExecutor(max_workers=1) as thread:
        return thread.submit(function, *args, **kwargs).result()


def row_of(page, task):
    return page.locator(f'tr[data-task-id="{task.public_id}"]')


def test_cancel_then_retry_from_the_task_list(page, client, user, live_daphne, make_user):
    ahead = in_thread(start_crud_job, owner=make_user("ann@example.com"), count=10)
    mine = in_thread(start_crud_job, owner=user, count=25)
    logged_in_page(page, client, user, live_daphne)
    page.goto(f"{live_daphne}/result/")
    row = row_of(page, mine)
    expect(row).to_contain_text("Number 2 in the waiting line.")
    expect(page.locator("body")).to_have_attribute("data-task-socket", "open")

    # The line moves (the task ahead starts): the position follows live.
    in_thread(start_task, ahead.public_id, message="go")
    expect(row).to_contain_text("Number 1 in the waiting line.")

    row.get_by_role("button", name="Cancel").click()
    expect(page.get_by_text(f"Cancelled task {mine.public_id}.")).to_be_visible()
    row = row_of(page, mine)
    expect(row.locator('[data-field="status"]')).to_have_text("cancelled")
    expect(row.get_by_role("button", name="Cancel")).to_be_hidden()

    row.get_by_role("button", name="Retry").click()
    retry = Task.objects.get(retry_of=mine)
    assert retry.params == {"count": 25}
    expect(row_of(page, retry).locator('[data-field="status"]')).to_have_text("queued")


def test_a_cancel_in_another_tab_updates_this_one_and_notifies_when_hidden(
    page, client, user, live_daphne
):
    page.add_init_script(FAKE_NOTIFICATIONS)
    task = in_thread(start_crud_job, owner=user, count=10)
    logged_in_page(page, client, user, live_daphne)
    page.goto(f"{live_daphne}/result/")
    expect(page.locator("body")).to_have_attribute("data-task-socket", "open")
    page.get_by_role("button", name="Notify me when a job ends").click()
    expect(page.locator("#task-notify-state")).to_have_text("Notifications are on.")

    page.evaluate("window.__hidden = true")
    in_thread(cancel_task, user=user, task_id=task.public_id)  # as another tab would
    row = row_of(page, task)
    expect(row.locator('[data-field="status"]')).to_have_text("cancelled")
    expect(row.get_by_role("button", name="Retry")).to_be_visible()
    expect(row.get_by_role("button", name="Cancel")).to_be_hidden()
    notes = page.evaluate("window.__notifications")
    assert notes == [
        {
            "title": "Task cancelled",
            "body": "Cancelled by you before it started; nothing was changed.",
        }
    ]


def test_no_notification_without_opting_in_or_while_the_tab_is_visible(
    page, client, user, live_daphne, make_user
):
    page.add_init_script(FAKE_NOTIFICATIONS)
    first = in_thread(start_crud_job, owner=user, count=10)
    logged_in_page(page, client, user, live_daphne)
    page.goto(f"{live_daphne}/result/")
    expect(page.locator("body")).to_have_attribute("data-task-socket", "open")
    page.evaluate("window.__hidden = true")
    in_thread(cancel_task, user=user, task_id=first.public_id)  # not opted in
    expect(row_of(page, first).locator('[data-field="status"]')).to_have_text("cancelled")
    assert page.evaluate("window.__notifications") == []


def test_the_operations_page_draws_its_charts_on_the_server(
    page, client, make_user, live_daphne, user
):
    task = in_thread(start_crud_job, owner=user, count=10)
    in_thread(start_task, task.public_id, message="go")
    result = {
        "count": 10,
        "seconds": {"create": 0.5, "verify": 0.1, "update": 0.2, "index": 0.4, "delete": 0.3},
    }
    in_thread(finish_task, task.public_id, result=result, message="done")
    Task.objects.filter(pk=task.pk).update(started=timezone.now() - timedelta(seconds=2))
    staff = make_user("ops@example.com", is_staff=True)
    errors = []
    page.on(
        "console", lambda message: errors.append(message.text) if message.type == "error" else None
    )
    logged_in_page(page, client, staff, live_daphne)
    page.goto(f"{live_daphne}/operations/")

    durations = page.get_by_role("img", name="Last jobs: how long each ran")
    expect(durations).to_be_visible()
    expect(durations.locator("rect.bar-finished")).to_have_count(1)
    phases = page.get_by_role("img", name="Last finished jobs: time of each phase")
    expect(phases.locator("rect")).to_have_count(4)
    expect(phases).to_contain_text("1.1 s")  # create + verify + update + delete
    expect(page.get_by_role("img", name="Queue and workers now")).to_contain_text("tasks in line")
    assert errors == []
