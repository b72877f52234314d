from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from cookbook.models import Food, Ingredient, Recipe, format_amount


@pytest.mark.parametrize(
    ("amount", "shown"),
    [
        (None, ""),
        (Decimal("0.125"), "⅛"),
        (Decimal("0.333"), "⅓"),
        (Decimal("1.500"), "1½"),
        (Decimal("2.000"), "2"),
        (Decimal("0.200"), "0.2"),
        (Decimal("400"), "400"),
        (Decimal("12.750"), "12¾"),
    ],
)
def test_format_amount(amount, shown):
    assert format_amount(amount) == shown


@pytest.mark.django_db
def test_an_ingredient_reads_as_amount_unit_food():
    recipe = Recipe.objects.create(name="Soup")
    salt = Food.objects.create(name="salt")
    line = Ingredient.objects.create(
        recipe=recipe, food=salt, amount=Decimal("0.125"), unit_of_measure="tsp"
    )
    assert str(line) == "⅛ tsp salt"
    assert str(Ingredient.objects.create(recipe=recipe, food=salt)) == "salt"


@pytest.mark.engine
@pytest.mark.django_db
def test_food_names_are_unique():
    Food.objects.create(name="salt")
    with pytest.raises(IntegrityError):
        Food.objects.create(name="salt")


@pytest.mark.engine
@pytest.mark.django_db
@pytest.mark.parametrize("amount", ["0", "-1", "1234.5678"])
def test_an_amount_must_be_positive_and_fit_six_digits(amount):
    line = Ingredient(recipe=Recipe.objects.create(name="Soup"), food=Food.objects.create(name="x"))
    line.amount = Decimal(amount)
    with pytest.raises(ValidationError) as error:
        line.full_clean()
    assert "amount" in error.value.message_dict


@pytest.mark.engine
@pytest.mark.django_db
def test_the_database_refuses_a_zero_amount():
    recipe = Recipe.objects.create(name="Soup")
    with pytest.raises(IntegrityError):
        Ingredient.objects.create(recipe=recipe, food=Food.objects.create(name="x"), amount=0)
