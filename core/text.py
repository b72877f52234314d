"""Characters no name or address needs: control characters (NUL, escape...), surrogates,
private-use characters, and the bidirectional overrides that can make "gnp.exe" read as
"exe.png" (joiners stay, for emoji)."""

import unicodedata

BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
CONTROL_CATEGORIES = frozenset({"Cc", "Cs", "Co"})


def is_control_character(char: str) -> bool:
    return unicodedata.category(char) in CONTROL_CATEGORIES or char in BIDI_CONTROLS


def without_control_characters(text: str) -> str:
    return "".join(char for char in text if not is_control_character(char))


def has_control_characters(text: str) -> bool:
    return any(is_control_character(char) for char in text)
