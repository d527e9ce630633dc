"""Forces by name (shared/forces.py): a certificate names the issuing force as the court knows it."""

from __future__ import annotations

from shared.forces import FORCES, TERRITORIAL_FORCES, force_name, is_named


def test_every_territorial_force_of_england_and_wales_and_the_special_forces_have_a_name() -> None:
    assert len(FORCES) == TERRITORIAL_FORCES + 3  # with British Transport Police, MoD Police, Civil Nuclear
    assert len(set(FORCES.values())) == len(FORCES)  # no two codes share a name
    assert force_name("CAMBS") == "Cambridgeshire Constabulary"
    assert force_name("ESSEX") == "Essex Police"
    assert force_name("MET") == "Metropolitan Police Service"
    assert force_name("DYFED") == "Dyfed-Powys Police"
    assert force_name("BTP") == "British Transport Police"
    assert all(code == code.upper() and " " not in code for code in FORCES)


def test_a_code_is_matched_whatever_its_case() -> None:
    assert force_name("cambs") == "Cambridgeshire Constabulary"


def test_the_configured_names_override_and_extend_the_list() -> None:
    configured = {"CAMBS": "Cambridgeshire Constabulary (CARA pilot)", "JERSEY": "States of Jersey Police"}
    assert force_name("CAMBS", configured) == "Cambridgeshire Constabulary (CARA pilot)"
    assert force_name("JERSEY", configured) == "States of Jersey Police"
    assert force_name("KENT", configured) == "Kent Police"
    assert is_named("JERSEY", configured) and not is_named("JERSEY")


def test_an_unknown_code_is_printed_as_the_code_with_a_note_never_a_guessed_name() -> None:
    assert force_name("ZZTOP") == "force code ZZTOP (no force name is configured for this code)"
    assert not is_named("ZZTOP")
