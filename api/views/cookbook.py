"""Recipes and foods: read for everyone, written by staff. Writes go through
`cookbook.services`, whose signals keep the recipe cache never stale."""

from typing import Any

from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.exceptions import NotFound
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.schema import ID_PARAMETER, error_response
from api.serializers import (
    FoodSerializer,
    RecipeDetailSerializer,
    RecipeInputSerializer,
    RecipeSerializer,
)
from cookbook import selectors, services
from cookbook.models import Food, Recipe
from core.http import error_body

RECIPE_EXAMPLE = {
    "id": 1,
    "name": "Garlic soup",
    "desc": "A warming soup.",
    "ingredients": [
        {"food": "garlic", "amount": "2", "unit": "", "desc": "2 cloves of garlic, minced"}
    ],
}
RECIPE_DETAIL_EXAMPLE = {**RECIPE_EXAMPLE, "steps": ["Peel the garlic.", "Simmer 20 minutes."]}
RECIPE_INPUT_EXAMPLE = {
    "name": "Garlic soup",
    "desc": "A warming soup.",
    "instructions": "Peel the garlic.\nSimmer 20 minutes.",
    "ingredients": [
        {"food": "garlic", "amount": "0.125", "unit_of_measure": "cup", "desc": "minced"}
    ],
}
FOOD_EXAMPLE = {"id": 3, "name": "garlic"}


class ReadOrStaffWrite(BasePermission):
    """Anyone reads; only staff create, change and delete (others: 403, anonymous: 401)."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        if request.method in SAFE_METHODS:
            return True
        return bool(request.user.is_authenticated and request.user.is_staff)


def _recipe_or_404(pk: str) -> Recipe:
    recipe = selectors.recipe_by_id(pk) if pk.isdigit() else None
    if recipe is None:
        raise NotFound("No recipe has this id.")
    return recipe


@extend_schema_view(
    list=extend_schema(
        summary="Every recipe with its ingredients, by name (served from the cache)",
        responses=RecipeSerializer(many=True),
        examples=[OpenApiExample("Recipes", value=[RECIPE_EXAMPLE], response_only=True)],
    ),
    retrieve=extend_schema(
        parameters=[ID_PARAMETER],
        summary="One recipe with its steps",
        responses=RecipeDetailSerializer,
        examples=[OpenApiExample("Recipe", value=RECIPE_DETAIL_EXAMPLE, response_only=True)],
    ),
    create=extend_schema(
        summary="Create a recipe (staff); foods are found or created by name",
        request=RecipeInputSerializer,
        responses={201: RecipeDetailSerializer},
        examples=[
            OpenApiExample("New recipe", value=RECIPE_INPUT_EXAMPLE, request_only=True),
            OpenApiExample("Created", value=RECIPE_DETAIL_EXAMPLE, response_only=True),
        ],
    ),
    update=extend_schema(
        parameters=[ID_PARAMETER],
        summary="Replace a recipe (staff)",
        request=RecipeInputSerializer,
        responses=RecipeDetailSerializer,
        examples=[
            OpenApiExample("Recipe", value=RECIPE_INPUT_EXAMPLE, request_only=True),
            OpenApiExample("Updated", value=RECIPE_DETAIL_EXAMPLE, response_only=True),
        ],
    ),
    partial_update=extend_schema(
        parameters=[ID_PARAMETER],
        summary="Change some of a recipe's fields (staff)",
        request=RecipeInputSerializer(partial=True),
        responses=RecipeDetailSerializer,
        examples=[
            OpenApiExample("Rename", value={"name": "Garlic broth"}, request_only=True),
            OpenApiExample("Updated", value=RECIPE_DETAIL_EXAMPLE, response_only=True),
        ],
    ),
    destroy=extend_schema(
        parameters=[ID_PARAMETER], summary="Delete a recipe (staff)", responses={204: None}
    ),
)
class RecipeViewSet(viewsets.ViewSet):
    permission_classes = [ReadOrStaffWrite]

    def list(self, request: Request) -> Response:
        return Response(selectors.recipe_list())

    def retrieve(self, request: Request, pk: str) -> Response:
        recipe = selectors.recipe_detail(int(pk)) if pk.isdigit() else None
        if recipe is None:
            raise NotFound("No recipe has this id.")
        return Response(recipe)

    def create(self, request: Request) -> Response:
        data = self._valid_input(request, partial=False)
        recipe = services.create_recipe(**data)
        return Response(selectors.build_recipe_detail(recipe.pk), status=status.HTTP_201_CREATED)

    def update(self, request: Request, pk: str) -> Response:
        return self._change(request, pk, partial=False)

    def partial_update(self, request: Request, pk: str) -> Response:
        return self._change(request, pk, partial=True)

    def destroy(self, request: Request, pk: str) -> Response:
        services.delete_recipe(recipe=_recipe_or_404(pk))
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _change(self, request: Request, pk: str, *, partial: bool) -> Response:
        recipe = _recipe_or_404(pk)
        data = self._valid_input(request, partial=partial)
        current = {"name": recipe.name, "desc": recipe.desc, "instructions": recipe.instructions}
        if partial:
            data = {**current, **data}
        services.update_recipe(recipe=recipe, **data)
        return Response(selectors.build_recipe_detail(recipe.pk))

    @staticmethod
    def _valid_input(request: Request, *, partial: bool) -> dict[str, Any]:
        serializer = RecipeInputSerializer(data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        if "ingredients" in data:
            data["ingredients"] = [dict(line) for line in data["ingredients"]]
        return data


def _food_or_404(pk: str) -> Food:
    food = selectors.food_by_id(pk) if pk.isdigit() else None
    if food is None:
        raise NotFound("No food has this id.")
    return food


# PUT and PATCH of a food both take its one field.
RENAME_FOOD = extend_schema(
    parameters=[ID_PARAMETER],
    summary="Rename a food (staff); the recipes using it show the new name at once",
    examples=[
        OpenApiExample("Rename", value={"name": "garlic"}, request_only=True),
        OpenApiExample("Renamed", value=FOOD_EXAMPLE, response_only=True),
    ],
)


@extend_schema_view(
    list=extend_schema(
        summary="Every food, by name",
        examples=[OpenApiExample("Foods", value=[FOOD_EXAMPLE], response_only=True)],
    ),
    retrieve=extend_schema(
        parameters=[ID_PARAMETER],
        summary="One food",
        examples=[OpenApiExample("Food", value=FOOD_EXAMPLE, response_only=True)],
    ),
    create=extend_schema(
        summary="Create a food (staff)",
        examples=[
            OpenApiExample("New food", value={"name": "garlic"}, request_only=True),
            OpenApiExample("Created", value=FOOD_EXAMPLE, response_only=True),
        ],
    ),
    update=RENAME_FOOD,
    partial_update=RENAME_FOOD,
    destroy=extend_schema(
        parameters=[ID_PARAMETER],
        summary="Delete a food no recipe uses (staff)",
        responses={
            204: None,
            409: error_response(
                "Recipes use this food.",
                {"error": "Recipes use “garlic”: remove it from them before deleting it."},
            ),
        },
    ),
)
class FoodViewSet(viewsets.ViewSet):
    permission_classes = [ReadOrStaffWrite]
    serializer_class = FoodSerializer

    def list(self, request: Request) -> Response:
        return Response(FoodSerializer(selectors.foods(), many=True).data)

    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(FoodSerializer(_food_or_404(pk)).data)

    def create(self, request: Request) -> Response:
        serializer = FoodSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        food = services.create_food(name=serializer.validated_data["name"])
        return Response(FoodSerializer(food).data, status=status.HTTP_201_CREATED)

    def update(self, request: Request, pk: str) -> Response:
        food = _food_or_404(pk)
        serializer = FoodSerializer(food, data=request.data)
        serializer.is_valid(raise_exception=True)
        services.update_food(food=food, name=serializer.validated_data["name"])
        return Response(FoodSerializer(food).data)

    def partial_update(self, request: Request, pk: str) -> Response:
        return self.update(request, pk)

    def destroy(self, request: Request, pk: str) -> Response:
        food = _food_or_404(pk)
        try:
            services.delete_food(food=food)
        except services.FoodInUse:
            message = f"Recipes use “{food.name}”: remove it from them before deleting it."
            return Response(error_body(message), status=status.HTTP_409_CONFLICT)
        return Response(status=status.HTTP_204_NO_CONTENT)
