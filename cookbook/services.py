"""Recipe writes. Each one invalidates the cache through the model signals and querysets."""

import json
from collections.abc import Collection, Iterable, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.db import transaction
from django.db.models import ProtectedError

from cookbook.models import Food, Ingredient, Recipe

DEMO_RECIPES_FILE = Path(__file__).resolve().parent / "demo_data" / "recipes.json"


@transaction.atomic
def create_recipe(
    *,
    name: str,
    desc: str = "",
    instructions: str = "",
    ingredients: Collection[Mapping[str, Any]] = (),
) -> Recipe:
    """Create a recipe and its ingredients; foods are found or created by name.

    `ingredients` holds dicts with `food` (a name) and optional `amount` (a decimal or a
    string like "0.125"), `unit_of_measure` and `desc`.
    """
    recipe = Recipe.objects.create(name=name, desc=desc, instructions=instructions)
    _add_ingredients(recipe, ingredients)
    return recipe


@transaction.atomic
def update_recipe(
    *,
    recipe: Recipe,
    name: str,
    desc: str = "",
    instructions: str = "",
    ingredients: Collection[Mapping[str, Any]] | None = None,
) -> Recipe:
    """Replace the recipe's fields, and its ingredients when `ingredients` is given (the
    same dicts as `create_recipe`'s; None keeps the ones it has)."""
    recipe.name, recipe.desc, recipe.instructions = name, desc, instructions
    recipe.save()
    if ingredients is not None:
        # One delete per row: each sends the signal that drops the recipe from the cache.
        for ingredient in recipe.ingredient_set.all():
            ingredient.delete()
        _add_ingredients(recipe, ingredients)
    return recipe


def delete_recipe(*, recipe: Recipe) -> None:
    recipe.delete()


def _add_ingredients(recipe: Recipe, ingredients: Collection[Mapping[str, Any]]) -> None:
    foods = foods_named({line["food"] for line in ingredients})
    Ingredient.objects.bulk_create(
        Ingredient(
            recipe=recipe,
            food=foods[line["food"]],
            amount=None if line.get("amount") in (None, "") else Decimal(line["amount"]),
            unit_of_measure=line.get("unit_of_measure", ""),
            desc=line.get("desc", ""),
        )
        for line in ingredients
    )


class FoodInUse(Exception):
    """Recipes use this food: deleting it would gut them."""


def create_food(*, name: str) -> Food:
    return Food.objects.create(name=name)


def update_food(*, food: Food, name: str) -> Food:
    """Rename a food; the recipes that use it leave the cache (cookbook.signals)."""
    food.name = name
    food.save()
    return food


def delete_food(*, food: Food) -> None:
    """Delete a food no recipe uses; FoodInUse otherwise."""
    try:
        food.delete()
    except ProtectedError:
        raise FoodInUse(food.name) from None


def foods_named(names: Iterable[str]) -> dict[str, Food]:
    """{name: Food} for these names, creating the missing foods."""
    Food.objects.bulk_create([Food(name=name) for name in names], ignore_conflicts=True)
    return {food.name: food for food in Food.objects.filter(name__in=names)}


def load_demo_recipes(path: Path | str = DEMO_RECIPES_FILE) -> int:
    """Create the demo recipes that do not exist yet (by name); return how many were created."""
    recipes = json.loads(Path(path).read_text())
    existing = set(
        Recipe.objects.filter(name__in=[r["name"] for r in recipes]).values_list("name", flat=True)
    )
    created = 0
    for recipe in recipes:
        if recipe["name"] in existing:
            continue
        create_recipe(
            name=recipe["name"],
            desc=recipe["desc"],
            instructions="\n".join(recipe["steps"]),
            ingredients=[
                {"amount": amount, "unit_of_measure": unit, "food": food, "desc": desc}
                for amount, unit, food, desc in recipe["ingredients"]
            ],
        )
        created += 1
    return created
