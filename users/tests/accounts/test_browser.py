import re

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_sign_up_log_out_and_log_in_again(page, live_daphne):
    email, password = "browser@example.com", "a-Long-enough-passphrase-42"

    page.goto(f"{live_daphne}/accounts/signup/")
    page.get_by_label("Email").fill(email)
    page.get_by_label(re.compile(r"^Password:?$")).fill(password)
    page.get_by_label("Password confirmation").fill(password)
    page.get_by_role("button", name="Sign up").click()

    navigation = page.get_by_role("navigation", name="Main")
    expect(navigation.get_by_role("link", name="Recipes")).to_be_visible()
    expect(navigation).to_contain_text(email)

    navigation.get_by_role("button", name="Log out").click()
    expect(navigation.get_by_role("link", name="Log in")).to_be_visible()
    expect(navigation).not_to_contain_text(email)

    navigation.get_by_role("link", name="Log in").click()
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill("not-my-password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_contain_text("correct email address and password")

    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/$"))
    expect(navigation).to_contain_text(email)
