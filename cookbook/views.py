from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string

from cookbook import cache, selectors


def recipe_list(request: HttpRequest) -> HttpResponse:
    # Anonymous visitors of the bare address all get the same page: it is cached whole, in
    # the list's scope (a write drops it with the rest), and served without rendering.
    # Anyone else (logged in, a query string that the login link carries back, a message
    # waiting) gets it rendered around the cached cards.
    if _sees_the_shared_page(request):
        page = cache.read_through(
            cache.LIST_SCOPE, "anonymous_page", lambda: _render_recipe_list(request).content
        )
        return HttpResponse(page)
    return _render_recipe_list(request)


def _sees_the_shared_page(request: HttpRequest) -> bool:
    return not (request.user.is_authenticated or request.GET or messages.get_messages(request))


def _render_recipe_list(request: HttpRequest) -> HttpResponse:
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
