from django.contrib.staticfiles import finders


def test_pages_link_the_icon_and_favicon_ico_leads_to_it(client, db):
    page = client.get("/accounts/login/")
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in page.text
    assert finders.find("favicon.svg")
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"] == "/static/favicon.svg"
    assert client.post("/favicon.ico").status_code == 405
