import pytest
from playwright.sync_api import expect

from students.models import Student
from students.tests.browser import log_in, result_rows, type_query
from students.tests.factories import make_students

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_typing_shows_matching_students_as_you_type(page, live_daphne, user, password):
    make_students()
    Student.objects.create(first_name="<b>Bold</b>", last_name="Smithy", email="b@x.org", age=20)
    log_in(page, live_daphne, user.email, password)
    status = page.get_by_role("status").filter(has_text="characters")
    expect(status).to_have_text("Type at least 2 characters to search.")

    type_query(page, "smi")
    rows = result_rows(page)
    expect(rows).to_have_count(3)
    expect(page.locator("#search-status")).to_contain_text("3 students found in")
    expect(rows.nth(0)).to_contain_text("Smith")
    # Data is text, never markup.
    expect(page.locator("#search-results td", has_text="<b>Bold</b>")).to_have_count(1)
    expect(page.locator("#search-results b")).to_have_count(0)

    type_query(page, "smithers jo")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Johanna")
    expect(page.locator("#search-status")).to_contain_text("1 student found in")

    type_query(page, "j")
    expect(page.locator("#search-status")).to_have_text("Type at least 2 characters to search.")
    expect(page.locator("#search-results")).to_be_hidden()

    type_query(page, "zzzz")
    expect(page.locator("#search-status")).to_have_text("No student matches “zzzz”.")
    expect(page.locator("#search-results")).to_be_hidden()

    # Enter searches at once (keyboard use) and stays on the page.
    box = page.get_by_role("searchbox", name="Search students")
    box.fill("snow")
    box.press("Enter")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("winter@north.net")
    assert page.url.endswith("/students/")


def test_a_stale_answer_is_aborted_and_never_shown(page, live_daphne, user, password):
    make_students()
    log_in(page, live_daphne, user.email, password)
    held = []

    def hold_the_first_search(route):
        if not held:
            held.append(route)  # never answered while the user keeps typing
        else:
            route.continue_()

    page.route("**/students/search/?q=*", hold_the_first_search)
    aborted = []
    page.on("requestfailed", lambda request: aborted.append(request.url))

    type_query(page, "smith")
    expect(page.locator("#search-status")).to_have_text("Searching…")
    type_query(page, "snow")
    rows = result_rows(page)
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Snow")
    assert [url for url in aborted if "q=smith" in url]
    assert held[0].request.url.endswith("q=smith")
