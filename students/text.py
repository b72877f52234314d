"""How search text is cut into tokens, shared by the index and the query side of both backends."""

import re
import unicodedata

# Letters and digits only: quotes, `*`, `~`, `(`, `\`, `:` and the rest never reach an engine.
TOKEN = re.compile(r"[^\W_]+")
MAX_QUERY_TOKENS = 8


def fold(text, *, strip_accents=True):
    """Lower case and, unless told otherwise, without accents ("Işık Şeker" -> "isik seker").

    The same folds as SQLite FTS5's `unicode61 remove_diacritics 2`, plus the Turkish
    dotless "ı" as "i" (migration 0002 does that one for FTS5), so that the Elasticsearch
    and SQLite backends see the same words.
    """
    if strip_accents:
        decomposed = unicodedata.normalize("NFKD", text)
        text = "".join(char for char in decomposed if not unicodedata.combining(char))
        return text.replace("ı", "i").lower()
    # "İ".lower() is "i" + a combining dot above; the dot would split the word in two.
    return unicodedata.normalize("NFC", text.lower().replace("\u0307", ""))


def search_tokens(text, *, strip_accents=True):
    return TOKEN.findall(fold(text, strip_accents=strip_accents))
