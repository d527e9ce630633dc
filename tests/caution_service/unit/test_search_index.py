"""The offender-search blind index (search_index.py): how names are normalised, and what its terms are."""

from __future__ import annotations

import hashlib
import hmac
import logging
from datetime import date

import pytest

from services.caution_service.search_index import (
    PURPOSE,
    BlindIndex,
    Match,
    full_name_key,
    normalised_words,
    surname_key,
)
from shared.http import AccessLogRedaction, redact_query
from shared.keyring import MasterKeys

BORN = date(1987, 3, 29)


@pytest.mark.parametrize(("given", "words"), [
    ("Zebedee Quixotic-Farnsworth", ["zebedee", "quixoticfarnsworth"]),
    ("  ZEBEDEE   quixotic\u2013farnsworth ", ["zebedee", "quixoticfarnsworth"]),  # en dash, spacing, case
    ("Siobhán O'Brien", ["siobhan", "obrien"]),
    ("SIOBHAN O\u2019BRIEN", ["siobhan", "obrien"]),  # typographic apostrophe
    ("Zoë Ñúñez", ["zoe", "nunez"]),
    ("Zoe\u0308 Nun\u0303ez", ["zoe", "nunez"]),  # already decomposed
    ("Straße", ["strasse"]),  # casefold
    ("\uff2a\uff4f\uff48\uff4e Smith", ["john", "smith"]),  # full-width letters
    ("Smith, John\tA.", ["smith", "john", "a"]),  # other punctuation and whitespace separate
    ("Jean-Luc\u00a0Picard", ["jeanluc", "picard"]),  # no-break space
    ("'-'", []),
])
def test_names_are_compared_without_case_accents_apostrophes_hyphens_or_spacing(given: str, words: list[str]) -> None:
    assert normalised_words(given) == words


def test_the_full_name_runs_its_words_together_and_the_surname_is_the_last_word() -> None:
    assert full_name_key("Mary Ann Smith") == full_name_key("Mary-Ann Smith") == full_name_key("MARYANN  SMITH")
    assert surname_key("Mary Ann van der Berg") == "berg"
    assert surname_key("Zebedee Quixotic-Farnsworth") == "quixoticfarnsworth"
    assert surname_key(" - ") == "" and full_name_key(" - ") == ""


def _index() -> BlindIndex:
    return BlindIndex(MasterKeys.parse(MasterKeys.generate("k1")))


def test_a_term_is_an_hmac_under_a_key_derived_for_the_search_alone() -> None:
    masters = MasterKeys.parse(MasterKeys.generate("k1"))
    index = BlindIndex(masters)
    full, surname = index.terms("Siobhán O'Brien", BORN)
    expected = hmac.new(masters.derive("k1", PURPOSE), b"full_name\x00siobhanobrien\x001987-03-29",
                        hashlib.sha256).hexdigest()
    assert (full.key_id, full.value) == ("k1", expected)
    assert surname.key_id == "k1" and surname.value != full.value
    # Neither the unkeyed hash nor a term under another purpose's key (the idempotency fingerprints') is stored.
    assert full.value != hashlib.sha256(b"full_name\x00siobhanobrien\x001987-03-29").hexdigest()
    other = hmac.new(masters.derive("k1", b"CARA idempotency fingerprint"),
                     b"full_name\x00siobhanobrien\x001987-03-29", hashlib.sha256).hexdigest()
    assert full.value != other


def test_a_search_finds_the_terms_written_for_the_same_person_however_written() -> None:
    index = _index()
    written = {term.value for term in index.terms("Siobhán O'Brien", BORN)}
    for asked in ("siobhan obrien", "SIOBHAN O’BRIEN", "Siobhan  O-Brien", "SiobhánO'Brien"):
        assert set(index.search_terms(asked, BORN)) <= written, asked
    assert not set(index.search_terms("Siobhan OBrien", date(1987, 3, 30))) & written  # another date of birth
    assert not set(index.search_terms("Sinead OBrien", BORN)) & written  # another first name
    assert set(index.search_terms("Sinead O'Brien", BORN, Match.SURNAME)) <= written  # unless only the surname


def test_full_name_and_surname_terms_never_match_each_other() -> None:
    index = _index()
    assert not set(index.search_terms("Madonna", BORN, Match.FULL_NAME)) & set(
        index.search_terms("Madonna", BORN, Match.SURNAME))


def test_a_search_tries_every_configured_master_key_and_writes_under_the_current_one() -> None:
    old, new = MasterKeys.generate("old"), MasterKeys.generate("new")
    before = BlindIndex(MasterKeys.parse(old)).terms("Alex Example", BORN)
    after_rotation = BlindIndex(MasterKeys.parse(f"{new},{old}"))
    assert {t.key_id for t in after_rotation.terms("Alex Example", BORN)} == {"new"}
    searched = after_rotation.search_terms("alex example", BORN)
    assert len(searched) == 2 and before[0].value in searched


def test_a_name_without_letters_or_digits_has_no_terms() -> None:
    assert _index().terms("--", BORN) == [] and _index().search_terms("'", BORN) == []


def test_personal_query_parameters_never_reach_the_access_log() -> None:
    assert redact_query("/v1/cautions?status=active") == "/v1/cautions?status=active"
    assert redact_query("/v1/cautions") == "/v1/cautions"
    redacted = redact_query("/v1/cautions?offender_name=Zo%C3%AB+Smith&Offender_Date_Of_Birth=1990-01-01&limit=5")
    assert redacted == "/v1/cautions?offender_name=redacted&Offender_Date_Of_Birth=redacted&limit=5"
    assert "Smith" not in redact_query("/v1/cautions?%6Eame=Smith")  # a percent-encoded key is read decoded

    record = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
                               ("127.0.0.1:5000", "GET", "/v1/cautions?name=Zebedee+Smith", "1.1", 400), None)
    assert AccessLogRedaction().filter(record)
    assert "Zebedee" not in record.getMessage() and "name=redacted" in record.getMessage()
