"""The API's request and answer shapes. Answers are built by the selectors the pages use;
these classes check input and describe the shapes in the OpenAPI document."""

from decimal import Decimal
from typing import Annotated, Any, Literal, get_args, get_origin, get_type_hints

from django.conf import settings
from rest_framework import serializers

from api.models import UserAPIKey
from cookbook.models import Food
from students.crud_cycle import DEFAULT_COUNT, MAX_COUNT, MIN_COUNT
from students.forms import MAX_QUERY_LENGTH
from students.models import Student
from users.models import CustomUser, Task
from users.tasks.selectors import task_update_message
from users.tasks.updates import TaskUpdate


class IngredientSerializer(serializers.Serializer):
    food = serializers.CharField()
    amount = serializers.CharField(allow_null=True, help_text="As a cook reads it: 1/8, 2 ½.")
    unit = serializers.CharField(allow_blank=True)
    desc = serializers.CharField(allow_blank=True)


class RecipeSerializer(serializers.Serializer):
    """A recipe as `cookbook.selectors` gives it (read through the cache)."""

    id = serializers.IntegerField()
    name = serializers.CharField()
    desc = serializers.CharField(allow_blank=True)
    ingredients = IngredientSerializer(many=True)


class RecipeDetailSerializer(RecipeSerializer):
    steps = serializers.ListField(child=serializers.CharField())


class IngredientInputSerializer(serializers.Serializer):
    food = serializers.CharField(max_length=100, help_text="A food's name; created if new.")
    amount = serializers.DecimalField(
        max_digits=6,
        decimal_places=3,
        min_value=Decimal("0.001"),
        required=False,
        allow_null=True,
        help_text="1/8 is 0.125; null or absent for “to taste”.",
    )
    unit_of_measure = serializers.CharField(max_length=30, required=False, allow_blank=True)
    desc = serializers.CharField(max_length=200, required=False, allow_blank=True)


class RecipeInputSerializer(serializers.Serializer):
    """A new recipe, or all of an existing one's fields (PUT); PATCH may leave any out,
    and leaving out `ingredients` keeps the ones the recipe has."""

    name = serializers.CharField(max_length=200)
    desc = serializers.CharField(required=False, allow_blank=True, default="")
    instructions = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="One step per line."
    )
    ingredients = IngredientInputSerializer(many=True, required=False)


class FoodSerializer(serializers.ModelSerializer[Food]):
    class Meta:
        model = Food
        fields = ["id", "name"]


class StudentSerializer(serializers.ModelSerializer[Student]):
    class Meta:
        model = Student
        fields = ["id", "first_name", "last_name", "email", "age"]


class SearchQuerySerializer(serializers.Serializer):
    q = serializers.CharField(
        max_length=MAX_QUERY_LENGTH,
        allow_blank=True,
        trim_whitespace=False,
        help_text="Words that start a first name, last name or email; under 2 characters "
        "answers nothing.",
    )


class StudentRowSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    first_name = serializers.CharField()
    last_name = serializers.CharField()
    email = serializers.CharField()
    age = serializers.IntegerField()


class SearchAnswerSerializer(serializers.Serializer):
    """The search JSON of the spec (the page's `/students/search/` answers the same)."""

    query = serializers.CharField()
    backend = serializers.ChoiceField(choices=["elasticsearch", "database"])
    count = serializers.IntegerField()
    took_ms = serializers.FloatField()
    results = StudentRowSerializer(many=True)


# The serializer field of each type a TypedDict declares (`X | None` makes it nullable).
FIELDS_OF_TYPES: dict[type, type[serializers.Field]] = {
    str: serializers.CharField,
    int: serializers.IntegerField,
    float: serializers.FloatField,
    dict: serializers.DictField,
}


def typed_fields(structure: type) -> dict[str, serializers.Field]:
    """Read-only fields for the keys of a TypedDict, each of the type it declares, so that
    the OpenAPI document types them: a Literal, or a string annotated with its choices
    (`Annotated[str, Task.Status]`), is an enum."""
    return {
        name: _typed_field(hint)
        for name, hint in get_type_hints(structure, include_extras=True).items()
    }


def _typed_field(hint: Any) -> serializers.Field:
    options: dict[str, Any] = {"read_only": True}
    if type(None) in get_args(hint):
        options["allow_null"] = True
        (hint,) = (arg for arg in get_args(hint) if arg is not type(None))
    if get_origin(hint) is Literal:
        return serializers.ChoiceField(choices=list(get_args(hint)), **options)
    if get_origin(hint) is Annotated:
        _, choices = get_args(hint)
        return serializers.ChoiceField(choices=choices.choices, **options)
    return FIELDS_OF_TYPES[get_origin(hint) or hint](**options)


class TaskSerializer(serializers.Serializer):
    """The spec's task JSON (users.tasks.updates.TaskUpdate), exactly as
    `users.tasks.selectors.task_update_message` builds it for the pages and the websocket:
    its fields are that definition's keys, with their types."""

    def get_fields(self) -> dict[str, serializers.Field]:
        return typed_fields(TaskUpdate)

    def to_representation(self, instance: Task) -> TaskUpdate:
        return task_update_message(instance)


class TaskStartSerializer(serializers.Serializer):
    count = serializers.IntegerField(
        min_value=MIN_COUNT,
        max_value=MAX_COUNT,
        default=DEFAULT_COUNT,
        help_text="How many fresh students replace the directory.",
    )


class FolderSerializer(serializers.Serializer):
    folder = serializers.CharField()
    file_count = serializers.IntegerField()
    total_size = serializers.IntegerField(help_text="Bytes.")


class DocumentSerializer(serializers.Serializer):
    """A stored document as the upload answers show it (core.documents.uploads.document_data)."""

    id = serializers.IntegerField()
    name = serializers.CharField()
    size = serializers.IntegerField(help_text="Bytes.")
    content_type = serializers.CharField()
    checksum = serializers.CharField(help_text="SHA-256 of the content, in hex.")


class DocumentListItemSerializer(DocumentSerializer):
    folder = serializers.CharField()
    uploaded_at = serializers.DateTimeField()


class UploadSerializer(serializers.Serializer):
    """What `POST /api/v1/documents/` takes: multipart form data, as the upload page."""

    folder = serializers.CharField(help_text="No / or \\; folders do not nest.")
    file = serializers.ListField(
        child=serializers.FileField(),
        help_text=f"One or more files (at most {settings.UPLOAD_MAX_FILES}), each at most "
        f"{settings.UPLOAD_MAX_FILE_SIZE} bytes, within the owner's quota.",
    )


class UploadAnswerSerializer(serializers.Serializer):
    folder = serializers.CharField()
    documents = DocumentSerializer(many=True)


class MeSerializer(serializers.ModelSerializer[CustomUser]):
    class Meta:
        model = CustomUser
        fields = ["id", "email", "is_staff", "date_joined"]


class ApiKeySerializer(serializers.ModelSerializer[UserAPIKey]):
    name = serializers.CharField(max_length=50, help_text="Says what the key is for.")

    class Meta:
        model = UserAPIKey
        fields = ["id", "name", "prefix", "created", "last_used", "expiry_date"]
        read_only_fields = ["id", "prefix", "created", "last_used", "expiry_date"]


class NewApiKeySerializer(ApiKeySerializer):
    key = serializers.CharField(
        read_only=True, help_text="The key itself: shown this once, never again."
    )

    class Meta(ApiKeySerializer.Meta):
        fields = [*ApiKeySerializer.Meta.fields, "key"]


class LogoutSerializer(serializers.Serializer):
    refresh = serializers.CharField(help_text="The refresh token to end (blacklisted).")


class WebsocketTicketSerializer(serializers.Serializer):
    ticket = serializers.CharField()
    expires_in = serializers.IntegerField(help_text="Seconds the ticket can wait to be used.")
    url = serializers.CharField(
        help_text="The websocket's absolute URL (ws:// or wss://) with the ticket in its query."
    )
