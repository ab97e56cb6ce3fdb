"""Company names as keys: 'ACME, Inc.' and 'Acme Inc' are the same customer."""

from __future__ import annotations

import re
import unicodedata

# Legal forms dropped from the end of a name (after punctuation is removed).
LEGAL_SUFFIXES = {
    "inc", "incorporated", "llc", "llp", "lp", "ltd", "limited", "plc", "corp",
    "corporation", "co", "company", "gmbh", "ag", "kg", "ohg", "ug", "se", "sarl",
    "sas", "sa", "srl", "spa", "bv", "nv", "ab", "as", "oy", "aps", "kk", "pty",
    "pte", "ug haftungsbeschrankt", "kabushiki kaisha", "k k", "l l c", "s a", "s a r l",
    "b v", "n v", "p l c", "s p a", "s r l", "s a s", "and co", "and co kg", "co kg",
    "gmbh and co kg", "gmbh and co", "oyj", "asa", "publ", "ab publ", "sp z o o", "sp zoo",
    "private limited", "pvt ltd", "pvt", "private",
}
_SPACE = re.compile(r"\s+")
_NOT_WORD = re.compile(r"[^\w\s]")


def fold(text: str) -> str:
    """Lower case, accents removed, punctuation removed, spaces collapsed."""
    text = text or ""
    if not text.isascii():  # (ASCII has no accents: NFKD leaves it as it is)
        text = unicodedata.normalize("NFKD", text)
        text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.lower()
    text = text.replace("&", " and ")
    text = _NOT_WORD.sub(" ", text)
    return _SPACE.sub(" ", text).strip()


def name_key(name: str) -> str:
    """The key two spellings of one company share."""
    words = fold(name).split()
    changed = True
    while changed and len(words) > 1:
        changed = False
        for size in (4, 3, 2, 1):
            if len(words) > size and " ".join(words[-size:]) in LEGAL_SUFFIXES:
                words = words[:-size]
                changed = True
                break
    return " ".join(words)
