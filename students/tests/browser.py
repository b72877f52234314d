from playwright.sync_api import expect


def log_in(page, base_url, email, password):
    page.goto(f"{base_url}/accounts/login/?next=/students/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Students", level=1)).to_be_visible()


def type_query(page, text):
    box = page.get_by_role("searchbox", name="Search students")
    box.fill("")
    box.press_sequentially(text, delay=30)


def result_rows(page):
    return page.locator("#search-results tbody tr")
