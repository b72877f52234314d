import pytest
from playwright.sync_api import expect

from devtools.live import rq_worker
from students.tests.live import session_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_start_the_job_and_watch_it_finish_without_reloading(
    page, live_daphne, live_server_env, user, tmp_path
):
    page.context.add_cookies(
        [{"name": "sessionid", "value": session_for(user), "url": live_daphne}]
    )
    env = {**live_server_env, "CRUD_JOB_BATCH_SIZE": "100"}
    with rq_worker(env, tmp_path / "worker.log"):
        page.goto(f"{live_daphne}/students/test/")
        page.get_by_label("Number of students (N)").fill("300")
        page.get_by_role("button", name="Start the job").click()

        expect(page).to_have_url(f"{live_daphne}/result/")
        page.evaluate("window.sameDocument = true")
        row = page.locator("#task-table tbody tr").first
        toast = page.locator("#task-toasts .toast")
        expect(toast).to_contain_text("Task finished", timeout=90_000)
        expect(row.locator('[data-field="status"]')).to_have_text("finished")
        expect(row.locator("progress")).to_have_attribute("value", "100")
        expect(row.locator('[data-field="progress-text"]')).to_have_text("100%")
        expect(row.locator('[data-field="finished"] time')).to_be_visible()
        assert page.evaluate("window.sameDocument") is True

        # The toast can be dismissed with the keyboard.
        toast.get_by_role("button", name="Dismiss").press("Enter")
        expect(toast).to_have_count(0)
