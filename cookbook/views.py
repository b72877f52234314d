from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string

from cookbook import cache, selectors


def recipe_list(request: HttpRequest) -> HttpResponse:
    # The rendered cards are cached beside the list data, in the same scope (a write drops
    # both): rendering hundreds of recipes costs far more than reading them from Redis.
    # render_to_string escapes and returns a SafeString, which stays one through pickling,
    # so the page template inserts it as it is.
    recipes_html = cache.read_through(
        cache.LIST_SCOPE,
        "html",
        lambda: render_to_string(
            "cookbook/_recipe_cards.html", {"recipes": selectors.recipe_list()}
        ),
    )
    return render(request, "cookbook/recipe_list.html", {"recipes_html": recipes_html})


def recipe_detail(request: HttpRequest, recipe_id: int) -> HttpResponse:
    recipe = selectors.recipe_detail(recipe_id)
    if recipe is None:
        raise Http404("No recipe has this id.")
    return render(request, "cookbook/recipe_detail.html", {"recipe": recipe})
