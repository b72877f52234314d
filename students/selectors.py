"""Reads of the student directory."""

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet

from students.models import Student

STUDENTS_PER_PAGE = 50
# The sort orders the table offers, each backed by the (last_name, first_name, id) index.
SORT_ORDERS = {
    "name": ("last_name", "first_name", "id"),
    "-name": ("-last_name", "-first_name", "-id"),
}
DEFAULT_SORT = "name"


def student_directory() -> QuerySet[Student]:
    """Every student of the live generation, with the fields pages and the API show."""
    return Student.objects.only("id", "first_name", "last_name", "email", "age")


def student_page(*, sort: str = DEFAULT_SORT, page_number: int | str | None = 1) -> Page[Student]:
    """One page of the directory; an unknown sort is a ValueError, a bad page number the nearest."""
    if sort not in SORT_ORDERS:
        # The message never repeats the input: it ends up on an error page.
        raise ValueError(f"Unknown sort order; use one of {', '.join(SORT_ORDERS)}.")
    students = student_directory().order_by(*SORT_ORDERS[sort])
    return Paginator(students, STUDENTS_PER_PAGE).get_page(page_number)
