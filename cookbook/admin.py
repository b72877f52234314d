from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest

from cookbook.models import Food, Ingredient, Recipe


class IngredientInline(admin.TabularInline):
    model = Ingredient
    autocomplete_fields = ["food"]
    extra = 1


@admin.register(Recipe)
class RecipeAdmin(admin.ModelAdmin):
    list_display = ["name", "ingredient_count"]
    search_fields = ["name", "desc"]
    inlines = [IngredientInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Recipe]:
        return super().get_queryset(request).annotate(ingredient_count=Count("ingredient"))

    @admin.display(ordering="ingredient_count", description="ingredients")
    def ingredient_count(self, recipe: Recipe) -> int:
        return recipe.ingredient_count  # type: ignore[attr-defined]  # get_queryset's annotation


@admin.register(Food)
class FoodAdmin(admin.ModelAdmin):
    list_display = ["name", "recipe_count"]
    search_fields = ["name"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Food]:
        return super().get_queryset(request).annotate(recipe_count=Count("recipes", distinct=True))

    @admin.display(ordering="recipe_count", description="recipes")
    def recipe_count(self, food: Food) -> int:
        return food.recipe_count  # type: ignore[attr-defined]  # get_queryset's annotation


@admin.register(Ingredient)
class IngredientAdmin(admin.ModelAdmin):
    list_display = ["recipe", "food", "amount", "unit_of_measure", "desc"]
    list_select_related = ["recipe", "food"]
    autocomplete_fields = ["recipe", "food"]
    search_fields = ["recipe__name", "food__name", "desc"]
