from typing import Any

from django import forms
from django.core.validators import ProhibitNullCharactersValidator

from students.crud_cycle import DEFAULT_COUNT, MAX_COUNT, MIN_COUNT
from students.search import MIN_QUERY_LENGTH

MAX_QUERY_LENGTH = 100


class CrudJobForm(forms.Form):
    count = forms.IntegerField(
        label="Number of students (N)",
        min_value=MIN_COUNT,
        max_value=MAX_COUNT,
        initial=DEFAULT_COUNT,
        help_text=f"A whole number from {MIN_COUNT} to {MAX_COUNT:,}.",
        error_messages={
            "required": "Enter how many students to create.",
            "invalid": "Enter a whole number of students.",
        },
    )


class SearchTextField(forms.CharField):
    """Any text up to its length, NUL included: search reduces text to its words, so
    nothing but letters and digits ever reaches an engine."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.validators = [
            validator
            for validator in self.validators
            if not isinstance(validator, ProhibitNullCharactersValidator)
        ]


class StudentSearchForm(forms.Form):
    """The student search box: at most MAX_QUERY_LENGTH characters as typed, searched
    trimmed. Shorter than MIN_QUERY_LENGTH is valid and answers nothing. The page's script
    reads both limits from the form's `data-` attributes."""

    min_length = MIN_QUERY_LENGTH
    max_length = MAX_QUERY_LENGTH

    q = SearchTextField(
        label="Search students",
        required=False,
        strip=False,  # the limit counts the text as typed; clean_q trims it
        max_length=MAX_QUERY_LENGTH,
        error_messages={"max_length": "The search text is limited to %(limit_value)d characters."},
        widget=forms.SearchInput(
            attrs={
                "id": "student-search",
                "autocomplete": "off",
                "spellcheck": "false",
                "placeholder": "First name, last name or email",
                "aria-describedby": "search-status",
                "aria-controls": "search-results",
            }
        ),
    )

    def clean_q(self) -> str:
        query: str = self.cleaned_data["q"]
        return query.strip()
