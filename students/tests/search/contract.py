"""The search contract every backend keeps, run against the same data.

`SearchBackendContract` holds the expectations that do not depend on the backend; each
backend's test module subclasses it once (test_database.py on the suite's database,
test_elasticsearch.py on the session's real node) and adds its own tests beside it.
"""

import pytest

from students.models import Student
from students.search import MAX_RESULTS, SearchAnswer, search_students
from students.tests.factories import make_students


def names(answer: SearchAnswer) -> set[str]:
    return {f"{row['first_name']} {row['last_name']}" for row in answer.results}


def first_names(answer: SearchAnswer, count: int) -> set[str]:
    """The names of the first `count` results: the best matches."""
    return names(answer._replace(results=answer.results[:count]))


BEYOND_LATIN_ACCENTS = [
    ("Søren", "Łasica", "sl@straße.de", 33),
    ("Йоан", "Ἑλένη", "ioan@example.gr", 44),
]


@pytest.mark.django_db
class SearchBackendContract:
    # The backend's name in every answer; subclasses also select it (an autouse fixture).
    backend: str

    def assert_matches(self, answer: SearchAnswer, expected: set[str]) -> None:
        """Exact and prefix matches come first; a backend that forgives typos may add
        typo matches after them. A query close to no one finds nothing at all."""
        if not expected:
            assert answer.results == []
        assert first_names(answer, len(expected)) == expected

    @pytest.mark.parametrize(
        ("query", "expected"),
        [
            ("smith", {"John Smith", "Johanna Smithers"}),
            ("Smithers", {"Johanna Smithers"}),
            ("SMITH", {"John Smith", "Johanna Smithers"}),
            ("joh", {"John Smith", "Johanna Smithers"}),
            ("jo", {"John Smith", "Johanna Smithers", "Jon Snow", "José Şeker"}),
            ("jo sm", {"John Smith", "Johanna Smithers"}),
            ("smith john", {"John Smith"}),
            ("john.smith@example.com", {"John Smith"}),
            ("okul", {"İlhan Işık", "Ayşe Yılmaz"}),
            ("jose", {"José Şeker"}),
            ("José", {"José Şeker"}),
            ("seker", {"José Şeker"}),
            ("Şek", {"José Şeker"}),
            ("ilhan", {"İlhan Işık"}),
            ("İLHAN", {"İlhan Işık"}),
            ("ışık", {"İlhan Işık"}),
            ("isik", {"İlhan Işık"}),
            ("IŞIK", {"İlhan Işık"}),
            ("yılmaz", {"Ayşe Yılmaz"}),
            ("yilmaz", {"Ayşe Yılmaz"}),
            ("ayse", {"Ayşe Yılmaz"}),
            ("zoe angstrom", {"Zoë Ångström"}),
            ("o'brien", {"Mary O'Brien"}),
            ("brien", {"Mary O'Brien"}),
            ("nobody-here", set()),
        ],
    )
    def test_exact_and_prefix_matches(self, query, expected):
        make_students()
        answer = search_students(query)
        assert answer.backend == self.backend
        self.assert_matches(answer, expected)

    @pytest.mark.parametrize("query", ["", " ", "j", " j ", "é", "*"])
    def test_queries_shorter_than_two_characters_answer_nothing(self, query):
        make_students()
        assert search_students(query).results == []

    @pytest.mark.parametrize(
        ("query", "expected"),
        [
            ('"smith"', {"John Smith", "Johanna Smithers"}),
            ("smith*", {"John Smith", "Johanna Smithers"}),
            ("smith~2", set()),
            ("(smith) OR snow", set()),
            ("smith AND", set()),
            ("AND", set()),
            ("NOT smith", set()),
            ("\\smith\\", {"John Smith", "Johanna Smithers"}),
            ("first_name:john", set()),
            ("sn*w", {"Jon Snow"}),  # "sn" and "w" (winter@north.net) are both word starts
            ("<script>alert(1)</script>", set()),
            ("'; DROP TABLE students_student; --", set()),
            ('"""', set()),
            ("*~()\\", set()),
        ],
    )
    def test_query_syntax_is_searched_as_words_never_run(self, query, expected):
        make_students()
        assert names(search_students(query)) == expected
        assert Student.objects.count() == 8

    def test_at_most_twenty_results(self):
        make_students(
            [(f"Kim{i}", "Lee", f"kim{i}@example.com", 20) for i in range(MAX_RESULTS + 5)]
        )
        answer = search_students("lee")
        assert len(answer.results) == MAX_RESULTS

    def test_results_carry_the_spec_fields(self):
        ids = make_students()
        [row] = search_students("snow").results
        assert row == {
            "id": ids["Jon Snow"],
            "first_name": "Jon",
            "last_name": "Snow",
            "email": "winter@north.net",
            "age": 19,
        }

    @pytest.mark.parametrize(
        ("query", "expected"),
        [
            ("søren", {"Søren Łasica"}),
            ("SØR", {"Søren Łasica"}),
            ("łasica", {"Søren Łasica"}),
            ("straße", {"Søren Łasica"}),
            ("иоан", {"Йоан Ἑλένη"}),
            ("ЙОАН", {"Йоан Ἑλένη"}),
            ("ελενη", {"Йоан Ἑλένη"}),
            ("Ἑλέ", {"Йоан Ἑλένη"}),
        ],
    )
    def test_every_backend_folds_the_same_accents(self, query, expected):
        """Accents are what Unicode decomposes away, in every script, on every backend."""
        make_students(BEYOND_LATIN_ACCENTS)
        assert first_names(search_students(query), len(expected)) == expected
