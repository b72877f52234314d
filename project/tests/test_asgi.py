import urllib.request

import pytest

pytestmark = pytest.mark.django_db(transaction=True)


def test_daphne_serves_pages_and_static_files(live_daphne):
    with urllib.request.urlopen(f"{live_daphne}/") as response:
        assert response.status == 200
        assert "text/html" in response.headers["Content-Type"]
    with urllib.request.urlopen(f"{live_daphne}/static/css/app.css") as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/css")
        assert b"--accent" in response.read()
