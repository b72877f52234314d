import pytest
from django.core.cache import cache as django_cache

from cookbook import selectors

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("count", [3, 60])
def test_cold_list_takes_two_queries_whatever_the_number_of_recipes(
    make_many_recipes, django_assert_num_queries, count
):
    make_many_recipes(count)
    with django_assert_num_queries(2):
        recipes = selectors.recipe_list()
    assert len(recipes) == count
    assert all(len(recipe["ingredients"]) == 8 for recipe in recipes)


def test_warm_list_takes_no_query_and_is_plain_data(make_recipe, django_assert_num_queries):
    make_recipe()
    cold = selectors.recipe_list()
    with django_assert_num_queries(0):
        warm = selectors.recipe_list()
    assert (
        warm
        == cold
        == [
            {
                "id": cold[0]["id"],
                "name": "Tomato Soup",
                "desc": "A warming soup.",
                "ingredients": [
                    {"food": "tomato", "amount": "6", "unit": "", "desc": "ripe"},
                    {"food": "garlic", "amount": "2", "unit": "clove", "desc": "minced"},
                    {"food": "salt", "amount": "⅛", "unit": "tsp", "desc": ""},
                ],
            }
        ]
    )


def test_detail_cold_then_warm(make_recipe, django_assert_num_queries):
    recipe = make_recipe()
    with django_assert_num_queries(2):
        cold = selectors.recipe_detail(recipe.pk)
    with django_assert_num_queries(0):
        warm = selectors.recipe_detail(recipe.pk)
    assert warm == cold
    assert cold["name"] == "Tomato Soup"
    assert cold["steps"] == ["Chop.", "Simmer."]
    assert [line["food"] for line in cold["ingredients"]] == ["tomato", "garlic", "salt"]


def test_a_missing_recipe_is_none_and_not_cached(make_recipe, django_assert_num_queries):
    assert selectors.recipe_detail(12345) is None
    with django_assert_num_queries(1):
        assert selectors.recipe_detail(12345) is None


def test_the_cache_holds_plain_values_with_a_ttl_and_a_generation(make_recipe, settings):
    make_recipe()
    recipes = selectors.recipe_list()
    assert django_cache.get("cookbook:list:data") == recipes
    client = django_cache._cache.get_client()
    data_key = django_cache.make_and_validate_key("cookbook:list:data")
    assert 0 < client.ttl(data_key) <= settings.COOKBOOK_CACHE_TTL
    # The generation token never expires.
    assert client.ttl(django_cache.make_and_validate_key("cookbook:list:generation")) == -1
