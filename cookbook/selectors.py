"""Recipe reads: plain data (dicts, lists, strings) built in a fixed number of queries and
served from the Redis cache (cookbook/cache.py) when warm."""

from typing import Any

from django.db.models import Prefetch, QuerySet

from cookbook import cache
from cookbook.models import Food, Ingredient, Recipe, RecipeQuerySet

# A recipe as pages and the cache hold it: plain data, never model instances.
RecipeData = dict[str, Any]


def recipe_list() -> list[RecipeData]:
    """Every recipe with its ingredients, in name order."""
    return cache.read_through(cache.LIST_SCOPE, "data", build_recipe_list)


def recipe_detail(recipe_id: int) -> RecipeData | None:
    """One recipe with its ingredients and steps, or None when there is no such recipe."""
    return cache.read_through(
        cache.recipe_scope(recipe_id), "data", lambda: build_recipe_detail(recipe_id)
    )


def recipe_by_id(recipe_id: int | str) -> Recipe | None:
    """The recipe to change (uncached), or None."""
    return Recipe.objects.filter(pk=recipe_id).first()


def foods() -> QuerySet[Food]:
    return Food.objects.order_by("name")


def food_by_id(food_id: int | str) -> Food | None:
    return Food.objects.filter(pk=food_id).first()


def build_recipe_list() -> list[RecipeData]:
    """Two queries whatever the number of recipes: the recipes, then all their ingredients."""
    return [_recipe_summary(recipe) for recipe in _recipes_with_ingredients()]


def build_recipe_detail(recipe_id: int) -> RecipeData | None:
    recipe = _recipes_with_ingredients().filter(pk=recipe_id).first()
    if recipe is None:
        return None
    return {
        **_recipe_summary(recipe),
        "steps": [step.strip() for step in recipe.instructions.splitlines() if step.strip()],
    }


def _recipes_with_ingredients() -> RecipeQuerySet:
    ingredients = Ingredient.objects.select_related("food").order_by("id")
    # django-stubs 5.2 loses Prefetch's type parameters on as_manager() querysets.
    return Recipe.objects.prefetch_related(Prefetch("ingredient_set", queryset=ingredients))  # type: ignore[arg-type]


def _recipe_summary(recipe: Recipe) -> RecipeData:
    return {
        "id": recipe.pk,
        "name": recipe.name,
        "desc": recipe.desc,
        "ingredients": [
            {
                "food": ingredient.food.name,
                "amount": ingredient.amount_display,
                "unit": ingredient.unit_of_measure,
                "desc": ingredient.desc,
            }
            for ingredient in recipe.ingredient_set.all()
        ],
    }
