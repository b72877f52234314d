"""How search text is cut into tokens, shared by the index and the query side of every backend."""

import re
import unicodedata

# Letters and digits only: quotes, `*`, `~`, `(`, `\`, `:` and the rest never reach an engine.
TOKEN = re.compile(r"[^\W_]+")
MAX_QUERY_TOKENS = 8


def fold(text: str) -> str:
    """Lower case and without accents ("Işık Şeker" -> "isik seker").

    Accents are what Unicode decomposes away (NFKD, then no combining marks), plus the
    Turkish dotless "ı" as "i". Elasticsearch and both database backends search words
    folded here (Student.search_terms), so they all see the same words.
    """
    if text.isascii():  # most names: nothing to decompose, and many times faster
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text)
    text = "".join(char for char in decomposed if not unicodedata.combining(char))
    return text.replace("ı", "i").lower()


def search_tokens(text: str) -> list[str]:
    return TOKEN.findall(fold(text))
