"""The student directory: a filtered, ordered list in pages of 50 (cursor pagination), one
student, and search through the same function and backends as the page."""

from django.db.models import Q, QuerySet
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.filters import OrderingFilter
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response

from api.schema import error_response
from api.serializers import SearchAnswerSerializer, SearchQuerySerializer, StudentSerializer
from core.ratelimits import SEARCH
from students.models import Student
from students.search import SearchUnavailable, search_students
from students.selectors import STUDENTS_PER_PAGE, student_directory

STUDENT_EXAMPLE = {"id": 7, "first_name": "John", "last_name": "Doe", "email": "j@x.org", "age": 31}


class StudentFilter(filters.FilterSet):
    name = filters.CharFilter(
        method="filter_name_prefix", label="A prefix of the first or last name"
    )
    min_age = filters.NumberFilter(field_name="age", lookup_expr="gte", label="Youngest age")
    max_age = filters.NumberFilter(field_name="age", lookup_expr="lte", label="Oldest age")

    class Meta:
        model = Student
        fields = ["name", "min_age", "max_age"]

    def filter_name_prefix(
        self, queryset: QuerySet[Student], name: str, value: str
    ) -> QuerySet[Student]:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(first_name__istartswith=value) | Q(last_name__istartswith=value))


class StudentPages(CursorPagination):
    page_size = STUDENTS_PER_PAGE
    page_size_query_param = "page_size"
    max_page_size = 200
    ordering = ("last_name", "first_name", "id")


SEARCH_UNAVAILABLE = error_response(
    "The search engine is not answering (Retry-After says when to try again).",
    {"error": SearchUnavailable.user_message},
)


@extend_schema_view(
    list=extend_schema(
        summary="Students of the directory, 50 a page, filtered and ordered",
        examples=[
            OpenApiExample(
                "A page",
                value={
                    "next": "http://host/api/v1/students/?cursor=cD1Eb2U%3D",
                    "previous": None,
                    "results": [STUDENT_EXAMPLE],
                },
                response_only=True,
            )
        ],
    ),
    retrieve=extend_schema(
        summary="One student",
        examples=[OpenApiExample("Student", value=STUDENT_EXAMPLE, response_only=True)],
    ),
)
class StudentViewSet(viewsets.ReadOnlyModelViewSet[Student]):
    serializer_class = StudentSerializer
    pagination_class = StudentPages
    filter_backends = [filters.DjangoFilterBackend, OrderingFilter]
    filterset_class = StudentFilter
    ordering_fields = ["last_name", "first_name", "age", "id"]
    ordering = ["last_name", "first_name", "id"]

    def get_queryset(self) -> QuerySet[Student]:
        return student_directory()

    @extend_schema(
        summary="Search students (the page's search: same function, same backends)",
        parameters=[SearchQuerySerializer],
        responses={200: SearchAnswerSerializer, 503: SEARCH_UNAVAILABLE},
        examples=[
            OpenApiExample(
                "Results",
                value={
                    "query": "jon",
                    "backend": "database",
                    "count": 1,
                    "took_ms": 4.2,
                    "results": [STUDENT_EXAMPLE],
                },
                response_only=True,
            )
        ],
    )
    @action(detail=False, methods=["get"], pagination_class=None, filter_backends=[])
    def search(self, request: Request) -> Response:
        query = SearchQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        SEARCH.hit(request)
        text = query.validated_data["q"]
        answer = search_students(text)
        return Response(answer.as_json(text))
