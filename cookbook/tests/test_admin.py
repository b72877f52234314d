import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client, make_user):
    client.force_login(make_user(email="chef@example.com", is_staff=True, is_superuser=True))
    return client


@pytest.mark.parametrize("model", ["recipe", "food", "ingredient"])
def test_admin_pages_render(staff_client, make_recipe, model):
    recipe = make_recipe()
    obj = {
        "recipe": recipe,
        "food": recipe.ingredients.first(),
        "ingredient": recipe.ingredient_set.first(),
    }[model]
    for url in (
        reverse(f"admin:cookbook_{model}_changelist"),
        reverse(f"admin:cookbook_{model}_add"),
        reverse(f"admin:cookbook_{model}_change", args=[obj.pk]),
    ):
        assert staff_client.get(url).status_code == 200, url


def test_the_recipe_change_page_has_its_ingredients_inline(staff_client, make_recipe):
    recipe = make_recipe()
    response = staff_client.get(reverse("admin:cookbook_recipe_change", args=[recipe.pk]))
    assert 'name="ingredient_set-TOTAL_FORMS" value="4"' in response.text  # 3 + 1 extra
    assert response.text.count('name="ingredient_set-0-amount"') == 1


def test_the_recipe_list_counts_ingredients_and_the_food_list_recipes(staff_client, make_recipe):
    make_recipe()
    make_recipe(name="Salted Caramel", ingredients=[{"food": "salt"}])
    recipes = staff_client.get(reverse("admin:cookbook_recipe_changelist")).text
    assert '<td class="field-ingredient_count">3</td>' in recipes
    foods = staff_client.get(reverse("admin:cookbook_food_changelist") + "?q=salt").text
    assert '<td class="field-recipe_count">2</td>' in foods


def test_anonymous_users_are_sent_to_the_admin_login(client):
    response = client.get(reverse("admin:cookbook_recipe_changelist"))
    assert response.status_code == 302
    assert "/admin/login/" in response.url
