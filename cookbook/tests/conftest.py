import pytest

from cookbook.models import Food, Ingredient, Recipe
from cookbook.services import create_recipe


@pytest.fixture
def make_recipe(db):
    def make(name="Tomato Soup", desc="A warming soup.", instructions="Chop.\nSimmer.", **extra):
        ingredients = extra.pop(
            "ingredients",
            [
                {"food": "tomato", "amount": "6", "desc": "ripe"},
                {"food": "garlic", "amount": "2", "unit_of_measure": "clove", "desc": "minced"},
                {"food": "salt", "amount": "0.125", "unit_of_measure": "tsp"},
            ],
        )
        return create_recipe(
            name=name, desc=desc, instructions=instructions, ingredients=ingredients, **extra
        )

    return make


@pytest.fixture
def make_many_recipes(db):
    """`count` recipes of `per_recipe` ingredients each, in a handful of bulk queries."""

    def make(count, per_recipe=8):
        foods = Food.objects.bulk_create(Food(name=f"food {n}") for n in range(per_recipe * 2))
        recipes = Recipe.objects.bulk_create(
            Recipe(name=f"Recipe {n:04d}", desc=f"Description {n}", instructions="Cook.")
            for n in range(count)
        )
        Ingredient.objects.bulk_create(
            Ingredient(recipe=recipe, food=foods[(n + k) % len(foods)], amount=k + 1, desc="")
            for n, recipe in enumerate(recipes)
            for k in range(per_recipe)
        )
        return recipes

    return make
