"""The site's main navigation: one list of links, each shown to its audience, rendered by
`{% main_navigation %}` in base.html with `aria-current="page"` on the page being shown."""

from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Any

from django import template
from django.urls import reverse

if TYPE_CHECKING:
    # django-stubs' name for settings.AUTH_USER_MODEL (see core.http).
    from django.contrib.auth.models import AnonymousUser, _User

register = template.Library()


class Audience(Enum):
    ANYONE = "anyone"
    LOGGED_IN = "logged in"
    STAFF = "staff"


@dataclass(frozen=True)
class NavigationLink:
    label: str
    url_name: str
    audience: Audience


MAIN_NAVIGATION = (
    NavigationLink("Recipes", "recipe_list", Audience.ANYONE),
    NavigationLink("Students", "student_list", Audience.LOGGED_IN),
    NavigationLink("Upload", "upload", Audience.LOGGED_IN),
    NavigationLink("Download", "download", Audience.LOGGED_IN),
    NavigationLink("CRUD job", "crud_job", Audience.LOGGED_IN),
    NavigationLink("Tasks", "task_list", Audience.LOGGED_IN),
    NavigationLink("API keys", "api_keys", Audience.LOGGED_IN),
    NavigationLink("Operations", "operations", Audience.STAFF),
    NavigationLink("RQ dashboard", "django_rq:home", Audience.STAFF),
    NavigationLink("Admin", "admin:index", Audience.STAFF),
)


def may_see(user: "_User | AnonymousUser", audience: Audience) -> bool:
    if audience is Audience.STAFF:
        return user.is_staff
    if audience is Audience.LOGGED_IN:
        return user.is_authenticated
    return True


@register.inclusion_tag("core/main_navigation.html", takes_context=True)
def main_navigation(context: template.Context) -> dict[str, Any]:
    request = context["request"]
    links = []
    for link in MAIN_NAVIGATION:
        if not may_see(request.user, link.audience):
            continue
        url = reverse(link.url_name)
        links.append({"label": link.label, "url": url, "current": request.path == url})
    return {"links": links}
