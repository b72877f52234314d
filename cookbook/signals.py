"""Single saves and deletes invalidate the recipes they touch (bulk ones: see models.py).

Recipe.ingredients.add/remove/clear/set need no m2m_changed receiver: Django runs them
through Ingredient's manager (bulk_create, and deletes that send post_delete per row).
A food can only be deleted while no recipe uses it (PROTECT), so its delete touches none.
A restored backup (core.backups) drops the whole cache.
"""

from typing import Any

from django.db.models.signals import post_delete, post_init, post_save
from django.dispatch import receiver

from cookbook import cache
from cookbook.models import Food, Ingredient, Recipe, recipe_ids_using_foods
from core.backups import site_restored


@receiver(post_save, sender=Recipe)
@receiver(post_delete, sender=Recipe)
def recipe_changed(sender: type[Recipe], instance: Recipe, **kwargs: Any) -> None:
    cache.invalidate_recipes([instance.pk])


@receiver(post_save, sender=Food)
def food_saved(sender: type[Food], instance: Food, created: bool, **kwargs: Any) -> None:
    if not created:
        cache.invalidate_recipes(recipe_ids_using_foods([instance.pk]))


@receiver(post_init, sender=Ingredient)
def remember_ingredient_recipe(
    sender: type[Ingredient], instance: Ingredient, **kwargs: Any
) -> None:
    # Read from __dict__: a deferred field must not cost a query here.
    instance._saved_recipe_id = instance.__dict__.get("recipe_id")


@receiver(post_save, sender=Ingredient)
@receiver(post_delete, sender=Ingredient)
def ingredient_changed(sender: type[Ingredient], instance: Ingredient, **kwargs: Any) -> None:
    # Moving an ingredient to another recipe changes both recipes.
    recipe_ids = {
        recipe_id
        for recipe_id in (instance.recipe_id, instance._saved_recipe_id)
        if recipe_id is not None
    }
    cache.invalidate_recipes(recipe_ids)
    instance._saved_recipe_id = instance.recipe_id


@receiver(site_restored)
def site_restored_from_a_backup(**kwargs: Any) -> None:
    # Any recipe may differ from what the cache holds, or be gone.
    cache.forget_everything()
