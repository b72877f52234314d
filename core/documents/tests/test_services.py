import pytest
from django.core.exceptions import ValidationError

from core.documents.services import clean_folder_name, clean_original_name, document_key


class Owner:
    pk = 7


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("../../etc/passwd", "passwd"),
        ("..\\..\\boot.ini", "boot.ini"),
        ("..", "unnamed"),
        ("", "unnamed"),
        ("a\x00b\x1f.txt", "ab.txt"),
        ("e\u0301te.txt", "\u00e9te.txt"),
        ("photo\u202egnp.exe", "photognp.exe"),
        ("family 👨\u200d👩\u200d👧.txt", "family 👨\u200d👩\u200d👧.txt"),
        ("🍕" * 300 + ".png", "🍕" * 251 + ".png"),
    ],
)
def test_clean_original_name(raw, expected):
    assert clean_original_name(raw) == expected


@pytest.mark.parametrize(
    ("folder", "name", "expected_folder_segment", "expected_file_segment"),
    [
        ("..", "..", "folder", "file"),
        ("🍕🍕", "🍕.png", "folder", "png"),
        ("My Photos", "IMG 01.JPG", "My_Photos", "IMG_01.JPG"),
        ("x" * 100, "y" * 255, "x" * 60, "y" * 150),
    ],
)
def test_document_key_is_safe_ascii_under_the_owner(
    folder, name, expected_folder_segment, expected_file_segment
):
    key = document_key(Owner(), folder, name)
    prefix, owner, folder_segment, token, file_segment = key.split("/")
    assert (prefix, owner) == ("documents", "7")
    assert folder_segment == expected_folder_segment
    assert file_segment == expected_file_segment
    assert len(token) == 16
    assert key.isascii()


def test_two_keys_for_one_name_differ():
    assert document_key(Owner(), "a", "b.txt") != document_key(Owner(), "a", "b.txt")


def test_a_folder_name_is_trimmed_and_normalised():
    assert clean_folder_name("  Cafe\u0301 ") == "Caf\u00e9"


def test_emoji_sequences_make_good_folder_names():
    assert (
        clean_folder_name("👨\u200d👩\u200d👧 🏳\ufe0f\u200d🌈")
        == "👨\u200d👩\u200d👧 🏳\ufe0f\u200d🌈"
    )


@pytest.mark.parametrize(
    "folder", ["", " ", ".", "..", "a/b", "a\\b", "a\x00b", "a\nb", "a\u202eb", "x" * 101]
)
def test_bad_folder_names_are_refused(folder):
    with pytest.raises(ValidationError):
        clean_folder_name(folder)
