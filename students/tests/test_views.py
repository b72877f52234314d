import pytest

from students.models import Student
from students.tests.factories import make_students

pytestmark = pytest.mark.django_db


def test_search_json_has_the_spec_shape(logged_in, search_backend):
    ids = make_students()
    response = logged_in.get("/students/search/", {"q": "snow"})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"query", "backend", "count", "took_ms", "results"}
    assert body["query"] == "snow"
    assert body["backend"] == search_backend
    assert body["count"] == 1
    assert isinstance(body["took_ms"], float)
    assert body["results"] == [
        {
            "id": ids["Jon Snow"],
            "first_name": "Jon",
            "last_name": "Snow",
            "email": "winter@north.net",
            "age": 19,
        }
    ]


def test_path_form_answers_the_same(logged_in, search_backend):
    make_students()
    by_query = logged_in.get("/students/search/", {"q": "José Şek"}).json()
    by_path = logged_in.get("/students/search/Jos%C3%A9%20%C5%9Eek").json()
    assert by_path["query"] == "José Şek"
    assert by_path["results"] == by_query["results"]
    assert by_path["count"] == 1
    assert logged_in.get("/students/search/a/b").json()["results"] == []


@pytest.mark.parametrize("query", ["", "a", " "])
def test_short_queries_are_empty_answers(logged_in, query):
    make_students()
    response = logged_in.get("/students/search/", {"q": query})
    assert response.status_code == 200
    assert response.json()["results"] == []
    assert response.json()["count"] == 0


def test_queries_over_100_characters_are_a_400(logged_in, search_backend):
    response = logged_in.get("/students/search/", {"q": "a" * 101})
    assert response.status_code == 400
    assert "100" in response.json()["error"]
    assert logged_in.get("/students/search/" + "b" * 101).status_code == 400
    assert logged_in.get("/students/search/", {"q": "a" * 100}).status_code == 200


@pytest.mark.parametrize("query", ['"', "*", "~", "(", "\\", "AND", "<b>x</b>", "İı şğ", "\x00zz"])
def test_odd_input_never_fails(logged_in, search_backend, query):
    make_students()
    response = logged_in.get("/students/search/", {"q": query})
    assert response.status_code == 200
    assert response.json()["query"] == query


def test_anonymous_search_is_a_401_json_error(client):
    response = client.get("/students/search/", {"q": "smith"})
    assert response.status_code == 401
    assert response.json() == {"error": "Log in to search students."}


def test_search_is_get_only(logged_in):
    assert logged_in.post("/students/search/", {"q": "smith"}).status_code == 405


def test_student_page_needs_login(client):
    response = client.get("/students/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.engine
def test_student_page_lists_fifty_a_page_sorted_by_name(logged_in):
    Student.objects.bulk_create(
        Student(first_name=f"F{i:03d}", last_name=f"L{i:03d}", email=f"s{i}@x.org", age=20)
        for i in range(120)
    )
    response = logged_in.get("/students/")
    assert response.status_code == 200
    page = response.context["page"]
    assert len(page.object_list) == 50
    assert page.object_list[0].last_name == "L000"
    assert page.paginator.num_pages == 3
    content = response.content.decode()
    assert 'href="/students/"' in content and "Students</a>" in content
    assert 'src="/static/students/search.js"' in content
    # search.js reads the limits and the URL from the form, not from copies of its own.
    assert 'data-search-url="/students/search/"' in content
    assert 'data-min-length="2" data-max-length="100"' in content
    assert 'maxlength="100"' in content
    assert 'aria-live="polite"' in content

    last = logged_in.get("/students/", {"sort": "-name", "page": 3}).context["page"]
    assert [s.last_name for s in last.object_list][-1] == "L000"
    assert logged_in.get("/students/", {"page": "junk"}).context["page"].number == 1


def test_unknown_sort_is_a_400(logged_in):
    response = logged_in.get("/students/", {"sort": "password"})
    assert response.status_code == 400
    assert b"Unknown sort order" in response.content


def test_unknown_sort_never_echoes_the_input(logged_in):
    markup = "<svg onload=alert(1)>"
    response = logged_in.get("/students/", {"sort": markup})
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    assert b"<svg" not in response.content
    assert b"alert(1)" not in response.content
    json_answer = logged_in.get("/students/", {"sort": markup}, HTTP_ACCEPT="application/json")
    assert json_answer.status_code == 400
    assert json_answer.json() == {"error": "Unknown sort order; use one of name, -name."}


def test_student_page_searches_without_javascript_and_escapes(logged_in):
    Student.objects.create(
        first_name="<script>x</script>", last_name="Evil", email="e@x.org", age=30
    )
    response = logged_in.get("/students/", {"q": "evil"})
    content = response.content.decode()
    assert "1 student found" in content
    assert "&lt;script&gt;x&lt;/script&gt;" in content
    assert "<script>x</script>" not in content
    response = logged_in.get("/students/", {"q": "zzzz"})
    assert "No student matches" in response.content.decode()
    response = logged_in.get("/students/", {"q": "z" * 101})
    assert "limited to 100 characters" in response.content.decode()


def test_healthz_pings_the_elasticsearch_cluster(client, make_user, elasticsearch):
    client.force_login(make_user("ops@example.com", is_staff=True))
    response = client.get("/healthz")
    assert response.status_code == 200
    search = response.json()["components"]["search"]
    assert search["ok"] is True
    assert search["backend"] == "elasticsearch"
    assert search["cluster"] in {"green", "yellow"}
