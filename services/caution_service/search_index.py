"""A keyed blind index of offender names and dates of birth: finding a caution by name without clear text.

Courts ask by name and date of birth; the record holds both only sealed under the offender's own key
(shared/keyring.py). The offender_search read model (projections/search.py) keeps, per caution, terms
that are HMAC-SHA256 of the normalised name and date of birth under a key derived from a master key
(`MasterKeys.derive(key_id, PURPOSE)`), with the master key's id beside each term. A search computes the
same terms from what the caller gives and compares them: equality is all the index can answer.

Why keyed: a plain hash of a name and a date of birth is open to anyone holding the database, who can
try every plausible name against each birth date. The HMAC key is not in the database, so neither is
anything that can be checked offline. Why it forgets: the projection deletes a caution's terms when the
offender's data is erased (or restricted), and never writes them again once the offender's data key is
gone, because it can no longer open the seal to compute them; a rebuild after an erasure brings nothing back.

Two terms per caution:

- full name + date of birth: what a court normally has.
- surname + date of birth: the last word of the name. Courts often have the surname and date of birth
  right and the first name misspelt or given differently (Jon/John, a middle name used as a first name,
  an anglicised spelling); without this term they would find nothing and conclude there is no caution.
  It is asked for explicitly (`match: "surname"`), never mixed into an exact search: it can match
  another person with the same surname and birth date (twins, a common surname), so the caller must
  check the identity in the caution it opens (every court and police read shows it).

The kind of term is part of the HMAC input, so a full-name term and a surname term never collide.

Master key rotation: new terms are made under the current master key; a search tries every configured
master key, so terms made under the previous one are still found. After a rotation run
`make rebuild PROJECTION=offender_search` (which remakes every term under the current key) before the
old master key is dropped from CARA_MASTER_KEYS.
"""

from __future__ import annotations

import hashlib
import hmac
import unicodedata
from dataclasses import dataclass
from datetime import date
from enum import Enum

from shared.keyring import MasterKeys

PURPOSE = b"CARA offender search blind index"

# Apostrophes (O'Brien, O’Brien, Oʼbrien) and hyphens or dashes (Smith-Jones) join the parts of a word.
_APOSTROPHES = frozenset("'`\u00b4\u2018\u2019\u201b\u02b9\u02bb\u02bc\u02bd\u2032")


class Match(str, Enum):
    """What a search compares: the whole name, or the last word of it (both with the date of birth)."""

    FULL_NAME = "full_name"
    SURNAME = "surname"


def normalised_words(name: str) -> list[str]:
    """The name's words, compared without case, accents, apostrophes, hyphens or extra spacing.

    NFKD splits an accented letter into the letter and its combining accent, which is dropped ("Zoë" and
    "Zoe"; full-width and ligature forms become plain letters); casefold is a caseless comparison ("ß" is
    "ss"). Apostrophes and hyphens join what they separate ("O'Brien" is "obrien", "Smith-Jones" is
    "smithjones"); any other punctuation and any run of whitespace separate words.
    """
    text = _strip_accents(_strip_accents(name).casefold())  # casefold can make decomposable letters again
    words: list[str] = []
    current: list[str] = []
    for char in text:
        if char.isalnum():
            current.append(char)
        elif char in _APOSTROPHES or unicodedata.category(char) == "Pd":
            continue  # joins: nothing added, the word goes on
        elif current:
            words.append("".join(current))
            current = []
    if current:
        words.append("".join(current))
    return words


def _strip_accents(text: str) -> str:
    return "".join(char for char in unicodedata.normalize("NFKD", text) if not unicodedata.combining(char))


def full_name_key(name: str) -> str:
    """The whole name as the index compares it: its words run together, so spacing never matters
    ("Mary Ann", "Mary-Ann" and "Maryann" are one name)."""
    return "".join(normalised_words(name))


def surname_key(name: str) -> str:
    """The last word of the name ("" for a name with no letters or digits)."""
    words = normalised_words(name)
    return words[-1] if words else ""


@dataclass(frozen=True)
class Term:
    key_id: str  # the master key the term's HMAC key was derived from
    value: str  # hex HMAC-SHA256


class BlindIndex:
    """The index's terms: HMAC-SHA256 under a key derived, per master key, for this purpose alone."""

    def __init__(self, masters: MasterKeys) -> None:
        self._masters = masters
        self._keys: dict[str, bytes] = {}

    @property
    def masters(self) -> MasterKeys:
        """The master keys, for other keyed indexes of their own purpose (projections/outcomes.CautionKeys)."""
        return self._masters

    def terms(self, name: str, date_of_birth: date) -> list[Term]:
        """What the index holds for an offender: their full-name and surname terms, under the current master key."""
        key_id = self._masters.current
        return [Term(key_id, value) for match in Match
                if (value := self._term(key_id, match, name, date_of_birth)) is not None]

    def search_terms(self, name: str, date_of_birth: date, match: Match = Match.FULL_NAME) -> list[str]:
        """The terms a search compares: this kind, under every configured master key (terms made before a
        rotation are found until the index is rebuilt). Empty when the name has no letters or digits."""
        found = (self._term(key_id, match, name, date_of_birth) for key_id in self._masters.keys)
        return [term for term in found if term is not None]

    def _term(self, key_id: str, match: Match, name: str, date_of_birth: date) -> str | None:
        key = full_name_key(name) if match is Match.FULL_NAME else surname_key(name)
        if not key:
            return None
        # Kind, name and date joined by a byte no normalised name holds: no two inputs read alike.
        message = "\x00".join((match.value, key, date_of_birth.isoformat())).encode()
        return hmac.new(self._key(key_id), message, hashlib.sha256).hexdigest()

    def _key(self, key_id: str) -> bytes:
        key = self._keys.get(key_id)
        if key is None:
            key = self._keys[key_id] = self._masters.derive(key_id, PURPOSE)
        return key
