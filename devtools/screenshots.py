"""The documentation's screenshots, taken from the real pages (`make screenshots`):

    .venv/bin/python -m devtools.screenshots [--output docs/images]

Starts `make run` in a throwaway copy of the project (devtools.run_copy: its own SQLite file,
demo data and a Redis of its own on a free port), logs in with the demo account in Debian's
chromium through Playwright, runs two small CRUD jobs and saves, at a 1280x800 viewport:

    recipes.png     the recipe list (`/`)
    students.png    the student list with an answer in the search box (`/students/`)
    tasks.png       the user's tasks with the finished jobs (`/result/`)
    operations.png  the staff operations page with their charts (`/operations/`)

Everything it started (the copy's servers, its Redis, the browser) is stopped and the copy
deleted when it ends, whatever happens.
"""

import argparse
import shutil
import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Page, ViewportSize, expect, sync_playwright

from devtools.processes import free_loopback_port, free_loopback_port_pair
from devtools.run_copy import (
    PROJECT_DIR,
    RunningCommand,
    copy_project,
    run_command_environment,
    start_run_command,
)

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-gpu"]
VIEWPORT: ViewportSize = {"width": 1280, "height": 800}
DEFAULT_OUTPUT = PROJECT_DIR / "docs" / "images"
# Two small jobs, so that the charts of the operations page have more than one bar.
JOB_COUNTS = (300, 600)
SEARCH_TEXT = "jo"
JOB_TIMEOUT_MS = 120_000


@contextmanager
def running_copy() -> Iterator[RunningCommand]:
    """`make run` in a copy of the project, with a Redis of its own: REDIS_URL names a free
    loopback port, on which the run command starts one (and stops it when it stops)."""
    workdir = Path(tempfile.mkdtemp(prefix="screenshots-"))
    running = None
    try:
        directory = copy_project(workdir / "project")
        env = run_command_environment(REDIS_URL=f"redis://127.0.0.1:{free_loopback_port()}/0")
        env.pop("ELASTICSEARCH_URL", None)  # the embedded set-up: search on the database
        env.pop("EMAIL_URL", None)
        running = start_run_command(directory, env, port=free_loopback_port_pair())
        yield running
    finally:
        if running is not None:
            running.stop()
        shutil.rmtree(workdir, ignore_errors=True)


def log_in(page: Page, running: RunningCommand) -> None:
    email, password = running.demo_credentials()
    page.goto(f"{running.url}/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def run_crud_job(page: Page, running: RunningCommand, count: int) -> None:
    """Start a CRUD job from its page and wait on /result/ until its row says finished."""
    page.goto(f"{running.url}/students/test/")
    page.get_by_label("Number of students (N)").fill(str(count))
    page.get_by_role("button", name="Start the job").click()
    expect(page).to_have_url(f"{running.url}/result/")
    newest = page.locator("#task-table tbody tr").first
    expect(newest).to_have_attribute("data-status", "finished", timeout=JOB_TIMEOUT_MS)


def capture(page: Page, path: Path) -> None:
    page.screenshot(path=str(path), animations="disabled")
    print(f"wrote {path}")


def take_screenshots(running: RunningCommand, output: Path) -> None:
    output.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            context = browser.new_context(viewport=VIEWPORT)
            context.set_default_timeout(30_000)
            page = context.new_page()

            page.goto(f"{running.url}/")
            expect(page.get_by_role("heading", level=1)).to_be_visible()
            capture(page, output / "recipes.png")

            log_in(page, running)
            for count in JOB_COUNTS:
                run_crud_job(page, running, count)
            # A fresh /result/: the finished jobs' rows without the toasts that announced them.
            page.goto(f"{running.url}/result/")
            expect(page.locator("body")).to_have_attribute("data-task-socket", "open")
            capture(page, output / "tasks.png")

            page.goto(f"{running.url}/students/")
            box = page.get_by_role("searchbox", name="Search students")
            box.press_sequentially(SEARCH_TEXT, delay=50)
            expect(page.locator("#search-status")).to_have_attribute("data-state", "results")
            box.blur()
            capture(page, output / "students.png")

            page.goto(f"{running.url}/operations/")
            expect(page.get_by_role("heading", name="Operations", level=1)).to_be_visible()
            capture(page, output / "operations.png")
        finally:
            browser.close()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="folder of the PNGs")
    args = parser.parse_args(argv)
    if not Path(CHROMIUM).exists():
        print(f"{CHROMIUM} is missing: `make chromium` installs it.", file=sys.stderr)
        return 1
    with running_copy() as running:
        take_screenshots(running, args.output.resolve())
    return 0


if __name__ == "__main__":
    sys.exit(main())
