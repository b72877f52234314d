"""Recipes, foods and the ingredients that join them.

Every write path keeps the Redis cache in step: single saves and deletes through the
signals in cookbook/signals.py, bulk operations through the querysets below (Django
sends no signals for QuerySet.update, bulk_create and bulk_update).
"""

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.core.validators import MinValueValidator
from django.db import models

from cookbook import cache


class FoodQuerySet(models.QuerySet["Food"]):
    def update(self, **kwargs: Any) -> int:
        food_ids = list(self.values_list("pk", flat=True))
        updated = super().update(**kwargs)
        cache.invalidate_recipes(recipe_ids_using_foods(food_ids))
        return updated

    def bulk_update(
        self, objs: Iterable["Food"], fields: Iterable[str], batch_size: int | None = None
    ) -> int:
        updated = super().bulk_update(objs, fields, batch_size=batch_size)
        cache.invalidate_recipes(recipe_ids_using_foods([food.pk for food in objs]))
        return updated


class RecipeQuerySet(models.QuerySet["Recipe"]):
    def update(self, **kwargs: Any) -> int:
        recipe_ids = list(self.values_list("pk", flat=True))
        updated = super().update(**kwargs)
        cache.invalidate_recipes(recipe_ids)
        return updated

    def bulk_create(self, objs: Iterable["Recipe"], *args: Any, **kwargs: Any) -> list["Recipe"]:
        created = super().bulk_create(objs, *args, **kwargs)
        cache.invalidate_recipes([recipe.pk for recipe in created if recipe.pk is not None])
        return created

    def bulk_update(
        self, objs: Iterable["Recipe"], fields: Iterable[str], batch_size: int | None = None
    ) -> int:
        updated = super().bulk_update(objs, fields, batch_size=batch_size)
        cache.invalidate_recipes([recipe.pk for recipe in objs])
        return updated


class IngredientQuerySet(models.QuerySet["Ingredient"]):
    def update(self, **kwargs: Any) -> int:
        ingredient_ids = list(self.values_list("pk", flat=True))
        recipe_ids = self._recipe_ids(ingredient_ids)
        updated = super().update(**kwargs)
        # An update may move ingredients to another recipe: both sides change.
        cache.invalidate_recipes(recipe_ids | self._recipe_ids(ingredient_ids))
        return updated

    def bulk_create(
        self, objs: Iterable["Ingredient"], *args: Any, **kwargs: Any
    ) -> list["Ingredient"]:
        created = super().bulk_create(objs, *args, **kwargs)
        cache.invalidate_recipes([ingredient.recipe_id for ingredient in created])
        return created

    def bulk_update(
        self, objs: Iterable["Ingredient"], fields: Iterable[str], batch_size: int | None = None
    ) -> int:
        recipe_ids = self._recipe_ids([ingredient.pk for ingredient in objs])
        updated = super().bulk_update(objs, fields, batch_size=batch_size)
        cache.invalidate_recipes(recipe_ids | {ingredient.recipe_id for ingredient in objs})
        return updated

    def _recipe_ids(self, ingredient_ids: Iterable[int]) -> set[int]:
        rows = Ingredient.objects.filter(pk__in=ingredient_ids).values_list("recipe_id", flat=True)
        return set(rows)


def recipe_ids_using_foods(food_ids: Iterable[int]) -> set[int]:
    rows = Ingredient.objects.filter(food_id__in=food_ids).values_list("recipe_id", flat=True)
    return set(rows)


class Food(models.Model):
    name = models.CharField(max_length=100, unique=True)

    objects = FoodQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Recipe(models.Model):
    name = models.CharField(max_length=200)
    desc = models.TextField("description", blank=True)
    instructions = models.TextField(blank=True, help_text="One step per line.")
    ingredients: "models.ManyToManyField[Food, Ingredient]" = models.ManyToManyField(
        Food, through="Ingredient", related_name="recipes"
    )

    objects = RecipeQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class Ingredient(models.Model):
    recipe = models.ForeignKey(Recipe, on_delete=models.CASCADE)
    # A food used by recipes cannot be deleted: that would silently gut them.
    food = models.ForeignKey(Food, on_delete=models.PROTECT)
    amount = models.DecimalField(
        max_digits=6,
        decimal_places=3,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.001"))],
        help_text="1/8 is 0.125; leave empty for “to taste”.",
    )
    unit_of_measure = models.CharField(max_length=30, blank=True, help_text="tsp, cup, g …")
    desc = models.CharField(
        "description", max_length=200, blank=True, help_text="2 cloves of garlic, minced"
    )

    objects = IngredientQuerySet.as_manager()
    # The recipe as loaded, kept by cookbook.signals to invalidate both sides of a move.
    _saved_recipe_id: int | None

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount__isnull=True) | models.Q(amount__gt=0),
                name="cookbook_ingredient_amount_positive",
            )
        ]

    def __str__(self) -> str:
        return " ".join(
            part for part in (self.amount_display, self.unit_of_measure, self.food.name) if part
        )

    @property
    def amount_display(self) -> str:
        return format_amount(self.amount)


VULGAR_FRACTIONS = {
    Decimal("0.125"): "⅛",
    Decimal("0.25"): "¼",
    Decimal("0.333"): "⅓",
    Decimal("0.375"): "⅜",
    Decimal("0.5"): "½",
    Decimal("0.625"): "⅝",
    Decimal("0.667"): "⅔",
    Decimal("0.75"): "¾",
    Decimal("0.875"): "⅞",
}


def format_amount(amount: Decimal | None) -> str:
    """0.125 -> "⅛", 1.500 -> "1½", 2.000 -> "2", 0.2 -> "0.2", None -> ""."""
    if amount is None:
        return ""
    whole, fraction = divmod(amount, 1)
    symbol = VULGAR_FRACTIONS.get(fraction.normalize())
    if symbol is not None:
        return f"{int(whole)}{symbol}" if whole else symbol
    return format(amount.normalize(), "f")
