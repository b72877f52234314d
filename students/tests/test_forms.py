import pytest

from students.forms import MAX_QUERY_LENGTH, StudentSearchForm
from students.search import MIN_QUERY_LENGTH


def cleaned_query(data):
    form = StudentSearchForm(data)
    assert form.is_valid(), form.errors
    return form.cleaned_data["q"]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({}, ""),
        ({"q": ""}, ""),
        ({"q": "  jo sm \t"}, "jo sm"),
        ({"q": "j"}, "j"),  # valid: search answers nothing under MIN_QUERY_LENGTH
        ({"q": "\x00zz"}, "\x00zz"),  # searched as its words, like any other symbol
        ({"q": "a" * MAX_QUERY_LENGTH}, "a" * MAX_QUERY_LENGTH),
    ],
)
def test_the_query_is_searched_trimmed(data, expected):
    assert cleaned_query(data) == expected


@pytest.mark.parametrize("text", ["a" * (MAX_QUERY_LENGTH + 1), "a" * MAX_QUERY_LENGTH + " "])
def test_the_limit_counts_the_text_as_typed(text):
    form = StudentSearchForm({"q": text})
    assert not form.is_valid()
    assert form.errors["q"] == ["The search text is limited to 100 characters."]


def test_the_form_carries_both_limits_for_the_page_script():
    form = StudentSearchForm()
    assert (form.min_length, form.max_length) == (MIN_QUERY_LENGTH, MAX_QUERY_LENGTH)
    assert f'maxlength="{MAX_QUERY_LENGTH}"' in str(form["q"])
