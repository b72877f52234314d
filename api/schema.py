"""The OpenAPI document's shared parts: the error shape, the errors every endpoint can
answer, and the security schemes of our authentication classes."""

from typing import Any

from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse
from rest_framework import serializers

ERROR_REF = "#/components/schemas/Error"


class ErrorDetailSerializer(serializers.Serializer):
    message = serializers.CharField()
    code = serializers.CharField()


class ErrorSerializer(serializers.Serializer):
    """The site's JSON error shape (core.http); `errors` only for invalid input."""

    error = serializers.CharField(help_text="A sentence for people.")
    errors = serializers.DictField(
        child=ErrorDetailSerializer(many=True),
        required=False,
        help_text="Per field (`__all__` for the whole input): its messages and codes.",
    )


# The integer id in the path of one recipe or food.
ID_PARAMETER = OpenApiParameter("id", int, OpenApiParameter.PATH)


def error_response(description: str, example: dict[str, Any]) -> OpenApiResponse:
    """An error answer of one endpoint, in the shared shape, with its example."""
    return OpenApiResponse(
        response=ErrorSerializer,
        description=description,
        examples=[OpenApiExample(description, value=example, response_only=True)],
    )


# What any endpoint can answer, added to every operation that does not say otherwise.
STANDARD_ERRORS: dict[str, tuple[str, dict[str, Any]]] = {
    "400": (
        "The input is not valid: `errors` says what, field by field.",
        {
            "error": "Ensure this value is less than or equal to 100000.",
            "errors": {
                "count": [
                    {
                        "message": "Ensure this value is less than or equal to 100000.",
                        "code": "max_value",
                    }
                ]
            },
        },
    ),
    "401": (
        "No credentials, or credentials that do not work (an expired token, a revoked key).",
        {"error": "Given token not valid for any token type"},
    ),
    "403": (
        "Authenticated, but not allowed (e.g. a write by someone who is not staff).",
        {"error": "You do not have permission to perform this action."},
    ),
    "404": ("There is no such thing among yours.", {"error": "Not found."}),
    "429": (
        "Too many requests: wait `Retry-After` seconds.",
        {"error": "Too many API requests; slow down and try again later."},
    ),
}


def add_error_responses(
    result: dict[str, Any], generator: Any, request: Any, public: bool
) -> dict[str, Any]:
    """Postprocessing hook: every operation documents the errors any endpoint can answer
    (400 when it takes input, 404 when its path names something), each with an example."""
    for path, operations in result.get("paths", {}).items():
        for operation in operations.values():
            statuses = ["401", "403", "429"]
            takes_input = "requestBody" in operation or any(
                parameter.get("in") == "query" for parameter in operation.get("parameters", [])
            )
            if takes_input:
                statuses.append("400")
            if "{" in path:
                statuses.append("404")
            responses = operation.setdefault("responses", {})
            for status in statuses:
                if status in responses:
                    continue
                description, example = STANDARD_ERRORS[status]
                responses[status] = {
                    "description": description,
                    "content": {
                        "application/json": {
                            "schema": {"$ref": ERROR_REF},
                            "examples": {"Error": {"value": example}},
                        }
                    },
                }
    return result


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.ApiKeyAuthentication"
    name = "ApiKey"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Api-Key <key>`: a key from `POST /api/v1/api-keys/`.",
        }


class SessionScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.HeaderCSRFSessionAuthentication"
    name = "Session"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "cookie",
            "name": "sessionid",
            "description": "The browser's session; unsafe requests send `X-CSRFToken`.",
        }


class BearerJWTScheme(SimpleJWTScheme):
    target_class = "api.authentication.BearerJWTAuthentication"
    name = "JWT"
