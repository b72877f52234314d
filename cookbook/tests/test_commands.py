import json
from io import StringIO

import pytest
from django.core.management import call_command

from cookbook.models import Food, Ingredient, Recipe
from cookbook.services import DEMO_RECIPES_FILE

pytestmark = pytest.mark.django_db


def test_load_recipes_loads_the_demo_recipes_once():
    demo = json.loads(DEMO_RECIPES_FILE.read_text())
    assert len(demo) >= 40

    output = StringIO()
    call_command("load_recipes", stdout=output)
    assert f"Loaded {len(demo)} demo recipe(s)." in output.getvalue()
    counts = (Recipe.objects.count(), Food.objects.count(), Ingredient.objects.count())
    assert counts == (
        len(demo),
        len({food for recipe in demo for _, _, food, _ in recipe["ingredients"]}),
        sum(len(recipe["ingredients"]) for recipe in demo),
    )

    output = StringIO()
    call_command("load_recipes", stdout=output)
    assert "Loaded 0 demo recipe(s)." in output.getvalue()
    assert (Recipe.objects.count(), Food.objects.count(), Ingredient.objects.count()) == counts


def test_demo_recipes_keep_their_amounts_and_descriptions():
    call_command("load_recipes", stdout=StringIO())
    pepper = Ingredient.objects.get(recipe__name="Shakshuka", food__name="cayenne pepper")
    assert (pepper.amount_display, pepper.unit_of_measure) == ("⅛", "tsp")
    garlic = Ingredient.objects.get(recipe__name="Spaghetti Aglio e Olio", food__name="garlic")
    assert (garlic.amount_display, garlic.unit_of_measure, garlic.desc) == (
        "6",
        "clove",
        "thinly sliced",
    )
    assert Recipe.objects.get(name="Guacamole").instructions.count("\n") == 2


def test_load_demo_data_loads_the_recipes(settings, tmp_path):
    settings.BASE_DIR = tmp_path
    call_command("load_demo_data", stdout=StringIO())
    demo = json.loads(DEMO_RECIPES_FILE.read_text())
    assert sorted(Recipe.objects.values_list("name", flat=True)) == sorted(
        recipe["name"] for recipe in demo
    )
