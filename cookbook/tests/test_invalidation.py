"""Every kind of write shows on the next page view, and leaves the other recipes cached.

Transactional: the cache is invalidated when a write commits, as in production.
"""

from decimal import Decimal

import pytest
from django.db import transaction
from django.db.models import ProtectedError
from django.test import Client
from django.urls import reverse

from cookbook.models import Food, Ingredient, Recipe

pytestmark = pytest.mark.django_db(transaction=True)

LIST = reverse("recipe_list")


def detail(recipe):
    return reverse("recipe_detail", args=[recipe.pk])


@pytest.fixture
def soup(make_recipe):
    return make_recipe()


@pytest.fixture
def pie(make_recipe):
    return make_recipe(
        name="Apple Pie",
        ingredients=[
            {"food": "apple", "amount": "1", "unit_of_measure": "kg"},
            {"food": "salt", "amount": "0.25", "unit_of_measure": "tsp"},
        ],
    )


@pytest.fixture
def stew(make_recipe):
    return make_recipe(name="Beef Stew", ingredients=[{"food": "beef", "amount": "1"}])


@pytest.fixture
def warm(client, django_assert_num_queries, soup, pie, stew):
    """Warm the list and every detail page; warm.check(url) proves a page is still cached."""

    class Pages:
        def __init__(self):
            for url in (LIST, detail(soup), detail(pie), detail(stew)):
                client.get(url)
                self.check(url)

        def check(self, url):
            with django_assert_num_queries(0):
                return client.get(url).text

    return Pages()


def text(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return response.text


def test_renaming_a_recipe(client, warm, soup, pie):
    soup.name = "Gazpacho"
    soup.save()
    assert "Gazpacho" in text(client, LIST)
    assert "<h1>Gazpacho</h1>" in text(client, detail(soup))
    warm.check(detail(pie))


def test_creating_a_recipe(client, warm, make_recipe, soup):
    make_recipe(name="Fresh Salad", ingredients=[{"food": "lettuce"}])
    assert "Fresh Salad" in text(client, LIST)
    warm.check(detail(soup))


def test_deleting_a_recipe(client, warm, soup, pie):
    url = detail(soup)
    soup.delete()
    assert "Tomato Soup" not in text(client, LIST)
    assert client.get(url).status_code == 404
    warm.check(detail(pie))


def test_editing_adding_and_deleting_ingredients(client, warm, soup, pie):
    tomato = soup.ingredient_set.get(food__name="tomato")
    tomato.amount = Decimal("0.75")
    tomato.save()
    assert '<span class="amount">¾</span> <strong>tomato</strong>' in text(client, detail(soup))
    warm.check(detail(pie))

    Ingredient.objects.create(recipe=soup, food=Food.objects.create(name="basil"), desc="torn")
    assert "tomato, garlic, salt, basil" in text(client, LIST)
    assert "<strong>basil</strong>" in text(client, detail(soup))

    tomato.delete()
    assert "<strong>tomato</strong>" not in text(client, detail(soup))
    assert "garlic, salt, basil" in text(client, LIST)
    warm.check(detail(pie))


def test_moving_an_ingredient_to_another_recipe_changes_both(client, warm, soup, pie, stew):
    garlic = soup.ingredient_set.get(food__name="garlic")
    garlic.recipe = pie
    garlic.save()
    assert "<strong>garlic</strong>" not in text(client, detail(soup))
    assert "<strong>garlic</strong>" in text(client, detail(pie))
    warm.check(detail(stew))


def test_renaming_a_food_changes_every_recipe_using_it(client, warm, soup, pie, stew):
    salt = Food.objects.get(name="salt")
    salt.name = "sea salt"
    salt.save()
    assert "<strong>sea salt</strong>" in text(client, detail(soup))
    assert "<strong>sea salt</strong>" in text(client, detail(pie))
    assert "apple, sea salt" in text(client, LIST)
    warm.check(detail(stew))


def test_a_food_in_use_cannot_be_deleted_and_an_unused_one_touches_nothing(warm, soup):
    with pytest.raises(ProtectedError):
        Food.objects.get(name="salt").delete()
    Food.objects.create(name="unused").delete()
    warm.check(LIST)
    warm.check(detail(soup))


def test_a_rolled_back_write_keeps_the_cache(warm, soup):
    with pytest.raises(RuntimeError), transaction.atomic():
        Recipe.objects.filter(pk=soup.pk).update(name="Never committed")
        soup.ingredient_set.all().delete()
        raise RuntimeError("roll back")
    assert "Tomato Soup" in warm.check(LIST)
    assert "<strong>tomato</strong>" in warm.check(detail(soup))


def test_queryset_update_and_delete_of_recipes(client, warm, soup, pie, stew):
    Recipe.objects.filter(pk=soup.pk).update(name="Cold Soup")
    assert "Cold Soup" in text(client, LIST)
    assert "<h1>Cold Soup</h1>" in text(client, detail(soup))
    warm.check(detail(pie))

    Recipe.objects.filter(pk=pie.pk).delete()
    assert "Apple Pie" not in text(client, LIST)
    assert client.get(detail(pie)).status_code == 404
    warm.check(detail(stew))


def test_bulk_create_and_bulk_update_of_recipes(client, warm, soup, pie):
    Recipe.objects.bulk_create([Recipe(name="Bulk Bread"), Recipe(name="Bulk Butter")])
    listing = text(client, LIST)
    assert "Bulk Bread" in listing and "Bulk Butter" in listing

    soup.name = "Bulk Soup"
    Recipe.objects.bulk_update([soup], ["name"])
    assert "<h1>Bulk Soup</h1>" in text(client, detail(soup))
    warm.check(detail(pie))


def test_queryset_update_of_ingredients_including_a_move(client, warm, soup, pie, stew):
    soup.ingredient_set.filter(food__name="tomato").update(amount=Decimal("2.5"))
    assert '<span class="amount">2½</span> <strong>tomato</strong>' in text(client, detail(soup))
    warm.check(detail(pie))

    Ingredient.objects.filter(recipe=soup, food__name="garlic").update(recipe=stew)
    assert "<strong>garlic</strong>" not in text(client, detail(soup))
    assert "<strong>garlic</strong>" in text(client, detail(stew))
    warm.check(detail(pie))


def test_bulk_create_and_bulk_update_of_ingredients(client, warm, soup, pie):
    Ingredient.objects.bulk_create([Ingredient(recipe=soup, food=Food.objects.create(name="leek"))])
    assert "<strong>leek</strong>" in text(client, detail(soup))
    warm.check(detail(pie))

    salt = pie.ingredient_set.get(food__name="salt")
    salt.unit_of_measure = "pinch"
    Ingredient.objects.bulk_update([salt], ["unit_of_measure"])
    assert "pinch <strong>salt</strong>" in text(client, detail(pie))


def test_queryset_update_and_bulk_update_of_foods(client, warm, soup, pie, stew):
    Food.objects.filter(name="apple").update(name="pear")
    assert "<strong>pear</strong>" in text(client, detail(pie))
    warm.check(detail(soup))

    beef = Food.objects.get(name="beef")
    beef.name = "venison"
    Food.objects.bulk_update([beef], ["name"])
    assert "<strong>venison</strong>" in text(client, detail(stew))
    assert "venison" in text(client, LIST)
    warm.check(detail(soup))


def test_many_to_many_add_remove_set_and_clear(client, warm, soup, pie, stew):
    basil = Food.objects.create(name="basil")
    soup.ingredients.add(
        basil, through_defaults={"amount": Decimal("0.5"), "unit_of_measure": "cup"}
    )
    assert '<span class="amount">½</span> cup <strong>basil</strong>' in text(client, detail(soup))

    soup.ingredients.remove(basil)
    assert "<strong>basil</strong>" not in text(client, detail(soup))

    basil.recipes.add(stew)
    assert "<strong>basil</strong>" in text(client, detail(stew))
    basil.recipes.clear()
    assert "<strong>basil</strong>" not in text(client, detail(stew))

    pie.ingredients.set([basil])
    assert "Apple Pie" in text(client, LIST)
    pie_page = text(client, detail(pie))
    assert "<strong>basil</strong>" in pie_page and "<strong>apple</strong>" not in pie_page

    soup.ingredients.clear()
    assert "No ingredients listed." in text(client, detail(soup))


@pytest.fixture
def staff_client(make_user):
    staff_client = Client()
    staff_client.force_login(make_user(email="chef@example.com", is_staff=True, is_superuser=True))
    return staff_client


def test_an_admin_edit_with_its_inline_ingredients(client, staff_client, warm, soup, pie):
    lines = list(soup.ingredient_set.all())
    form = {
        "name": "Admin Soup",
        "desc": soup.desc,
        "instructions": soup.instructions,
        "ingredient_set-TOTAL_FORMS": str(len(lines)),
        "ingredient_set-INITIAL_FORMS": str(len(lines)),
        "ingredient_set-MIN_NUM_FORMS": "0",
        "ingredient_set-MAX_NUM_FORMS": "1000",
    }
    for n, line in enumerate(lines):
        form.update(
            {
                f"ingredient_set-{n}-id": str(line.pk),
                f"ingredient_set-{n}-recipe": str(soup.pk),
                f"ingredient_set-{n}-food": str(line.food_id),
                f"ingredient_set-{n}-amount": "3" if line.food.name == "tomato" else line.amount,
                f"ingredient_set-{n}-unit_of_measure": line.unit_of_measure,
                f"ingredient_set-{n}-desc": line.desc,
            }
        )
    response = staff_client.post(reverse("admin:cookbook_recipe_change", args=[soup.pk]), form)
    assert response.status_code == 302, response.text
    assert "Admin Soup" in text(client, LIST)
    page = text(client, detail(soup))
    assert "<h1>Admin Soup</h1>" in page
    assert '<span class="amount">3</span> <strong>tomato</strong>' in page
    warm.check(detail(pie))


def test_an_admin_bulk_delete(client, staff_client, warm, soup, pie, stew):
    response = staff_client.post(
        reverse("admin:cookbook_recipe_changelist"),
        {"action": "delete_selected", "_selected_action": [soup.pk, pie.pk], "post": "yes"},
    )
    assert response.status_code == 302
    listing = text(client, LIST)
    assert "Tomato Soup" not in listing and "Apple Pie" not in listing
    assert "Beef Stew" in listing
    warm.check(detail(stew))
