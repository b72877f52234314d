import re

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_recipe_renamed_in_the_admin_shows_on_the_list_at_once(
    page, live_daphne, make_recipe, make_user, password
):
    soup = make_recipe()
    make_user(email="chef@example.com", is_staff=True, is_superuser=True)

    # The list is cached before the edit.
    page.goto(f"{live_daphne}/")
    expect(page.get_by_role("link", name="Tomato Soup")).to_be_visible()

    page.goto(f"{live_daphne}/admin/login/?next=/admin/cookbook/recipe/{soup.pk}/change/")
    page.get_by_label("Email").fill("chef@example.com")
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.get_by_label("Name").fill("Roasted Tomato Soup")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text(re.compile("was changed successfully"))).to_be_visible()

    page.goto(f"{live_daphne}/")
    expect(page.get_by_role("link", name="Roasted Tomato Soup")).to_be_visible()
    expect(page.get_by_role("link", name="Tomato Soup", exact=True)).to_have_count(0)

    page.get_by_role("link", name="Roasted Tomato Soup").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Roasted Tomato Soup")
