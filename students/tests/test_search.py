"""The search contract, run on both backends against the same data."""

import pytest

from students.models import Student
from students.search import MAX_RESULTS, search_students
from students.tests.factories import make_students

pytestmark = pytest.mark.django_db


def names(answer):
    return {f"{row['first_name']} {row['last_name']}" for row in answer.results}


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
def test_exact_and_prefix_matches(search_backend, query, expected):
    make_students()
    answer = search_students(query)
    assert answer.backend == search_backend
    if search_backend == "database":
        assert names(answer) == expected
    else:
        # Exact and prefix matches come first; typo matches may follow them.
        first = answer._replace(results=answer.results[: len(expected)])
        assert names(first) == expected


@pytest.mark.parametrize("query", ["", " ", "j", " j ", "é", "*"])
def test_queries_shorter_than_two_characters_answer_nothing(search_backend, query):
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
def test_query_syntax_is_searched_as_words_never_run(search_backend, query, expected):
    make_students()
    assert names(search_students(query)) == expected
    assert Student.objects.count() == 8


def test_at_most_twenty_results(search_backend):
    make_students([(f"Kim{i}", "Lee", f"kim{i}@example.com", 20) for i in range(MAX_RESULTS + 5)])
    answer = search_students("lee")
    assert len(answer.results) == MAX_RESULTS


def test_results_carry_the_spec_fields(search_backend):
    ids = make_students()
    [row] = search_students("snow").results
    assert row == {
        "id": ids["Jon Snow"],
        "first_name": "Jon",
        "last_name": "Snow",
        "email": "winter@north.net",
        "age": 19,
    }


def test_both_backends_answer_the_same_way(elasticsearch, settings):
    make_students()
    queries = ["smith", "jo", "jo sm", "okul", "jose", "ilhan", "ışık", "o'brien", "example", "xy"]
    for query in queries:
        settings.ELASTICSEARCH_URL = ""
        on_database = [row["id"] for row in search_students(query).results]
        settings.ELASTICSEARCH_URL = elasticsearch
        on_elasticsearch = [row["id"] for row in search_students(query).results]
        assert set(on_elasticsearch[: len(on_database)]) == set(on_database), query


@pytest.mark.parametrize(
    ("typo", "meant"),
    [
        ("Jhon", "John Smith"),
        ("Smiht", "John Smith"),
        ("Snwo", "Jon Snow"),
        ("yilmza", "Ayşe Yılmaz"),
    ],
)
def test_elasticsearch_forgives_typos(elasticsearch, typo, meant):
    make_students()
    assert meant in names(search_students(typo))


def test_database_backend_matches_exact_and_prefix_only():
    make_students()
    assert names(search_students("Jhon")) == set()


def test_elasticsearch_ranks_exact_words_then_prefixes_then_typos(elasticsearch):
    make_students()
    results = search_students("john").results
    assert [row["first_name"] for row in results] == ["John", "Jon"]
    results = search_students("smith").results
    assert [row["last_name"] for row in results] == ["Smith", "Smithers"]


BEYOND_LATIN_ACCENTS = [
    ("Søren", "Łasica", "sl@straße.de", 33),
    ("Йоан", "Ἑλένη", "ioan@example.gr", 44),
]


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
def test_every_backend_folds_the_same_accents(search_backend, query, expected):
    """Accents are what Unicode decomposes away, in every script, on every backend."""
    make_students(BEYOND_LATIN_ACCENTS)
    answer = search_students(query)
    assert names(answer._replace(results=answer.results[: len(expected)])) == expected


@pytest.mark.parametrize("query", ["soren", "lasica", "strasse"])
def test_letters_that_do_not_decompose_stay_letters_of_their_own(query):
    """ø, ł and ß are letters, not accented ones, for Elasticsearch too (which may still
    find them as typos): no database folds them (PostgreSQL's unaccent would)."""
    make_students(BEYOND_LATIN_ACCENTS)
    assert names(search_students(query)) == set()
