from django import forms

from students.crud_cycle import DEFAULT_COUNT, MAX_COUNT, MIN_COUNT


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
