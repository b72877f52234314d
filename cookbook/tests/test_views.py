import pytest
from django.contrib.messages import INFO
from django.contrib.messages.storage.base import Message
from django.contrib.messages.storage.cookie import CookieStorage
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert('x')</script>"
ESCAPED_SCRIPT = "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;"


def test_the_list_shows_every_recipe_with_its_foods(client, make_recipe):
    soup = make_recipe()
    make_recipe(
        name="Apple Pie", ingredients=[{"food": "apple", "amount": "1.5", "unit_of_measure": "kg"}]
    )
    response = client.get(reverse("recipe_list"))
    assert response.status_code == 200
    text = response.text
    assert text.index("Apple Pie") < text.index("Tomato Soup")
    assert f'href="{reverse("recipe_detail", args=[soup.pk])}"' in text
    assert "tomato, garlic, salt" in text
    assert "2 recipes" in text


def test_an_empty_cookbook_says_so(client):
    response = client.get(reverse("recipe_list"))
    assert response.status_code == 200
    assert "No recipes yet." in response.text


def test_a_warm_list_page_takes_no_query(client, make_many_recipes, django_assert_num_queries):
    make_many_recipes(20)
    with django_assert_num_queries(2):
        cold = client.get(reverse("recipe_list"))
    with django_assert_num_queries(0):
        warm = client.get(reverse("recipe_list"))
    assert warm.text == cold.text
    assert "Recipe 0019" in warm.text


def test_the_detail_page_shows_ingredients_and_steps(
    client, make_recipe, django_assert_num_queries
):
    recipe = make_recipe()
    url = reverse("recipe_detail", args=[recipe.pk])
    client.get(url)
    with django_assert_num_queries(0):
        response = client.get(url)
    assert response.status_code == 200
    assert "<h1>Tomato Soup</h1>" in response.text
    assert '<span class="amount">⅛</span> tsp <strong>salt</strong>' in response.text
    assert "<li>Chop.</li><li>Simmer.</li>" in response.text


@pytest.mark.parametrize("path", ["/recipes/999/", "/recipes/99999999999999999999999/"])
def test_a_missing_recipe_is_a_404(client, path):
    response = client.get(path)
    assert response.status_code == 404


@pytest.mark.parametrize("warm", [False, True])
def test_recipe_text_is_escaped_once_cold_and_warm(client, make_recipe, warm):
    recipe = make_recipe(
        name=f"Soup {SCRIPT}",
        desc=f"Hot {SCRIPT}\nsecond line",
        instructions=f"Stir {SCRIPT}",
        ingredients=[{"food": f"salt {SCRIPT}", "desc": SCRIPT}],
    )
    for url in (reverse("recipe_list"), reverse("recipe_detail", args=[recipe.pk])):
        if warm:
            client.get(url)
        text = client.get(url).text
        assert SCRIPT not in text
        assert f"Soup {ESCAPED_SCRIPT}" in text
        assert f"salt {ESCAPED_SCRIPT}" in text
        assert "&amp;lt;" not in text
    assert f"<p>Hot {ESCAPED_SCRIPT}<br>second line</p>" in text
    assert f"<li>Stir {ESCAPED_SCRIPT}</li>" in text


def test_anonymous_visitors_share_one_cached_page_that_a_write_drops(
    client, make_recipe, django_assert_num_queries, django_capture_on_commit_callbacks
):
    make_recipe()
    first = client.get(reverse("recipe_list"))
    with django_assert_num_queries(0):
        again = Client().get(reverse("recipe_list"))
    assert again.content == first.content
    assert again["Content-Type"] == "text/html; charset=utf-8"
    assert "Cookie" in again["Vary"]
    with django_capture_on_commit_callbacks(execute=True):
        make_recipe(name="Apple Pie")
    assert "Apple Pie" in client.get(reverse("recipe_list")).text


def test_a_logged_in_user_never_gets_the_anonymous_page_nor_leaves_one(client, user):
    anonymous = Client().get(reverse("recipe_list")).text
    client.force_login(user)
    mine = client.get(reverse("recipe_list")).text
    assert user.email in mine and "Log out" in mine
    assert user.email not in anonymous and "Log in" in anonymous
    assert Client().get(reverse("recipe_list")).text == anonymous


def test_a_query_string_comes_back_in_the_login_link(client):
    client.get(reverse("recipe_list"))  # the shared page, warm
    text = client.get(reverse("recipe_list"), {"ref": "mail"}).text
    assert "next=/%3Fref%3Dmail" in text


def test_a_waiting_message_is_shown_once_and_to_its_visitor_only(client):
    client.get(reverse("recipe_list"))  # the shared page, warm
    # A message waiting in the visitor's cookie, as a view that adds one leaves it.
    client.cookies["messages"] = CookieStorage(None)._encode([Message(INFO, "Welcome back.")])
    assert "Welcome back." in client.get(reverse("recipe_list")).text
    assert "Welcome back." not in client.get(reverse("recipe_list")).text
    assert "Welcome back." not in Client().get(reverse("recipe_list")).text
