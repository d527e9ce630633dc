"""Per-person envelope encryption: seal and open, erase one person alone, rotate the master key, never a 500.

On SQLite and PostgreSQL, with the table the caution service's migrations make.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, func, select
from sqlalchemy.engine import Engine

from services.caution_service.migrations import migrate
from shared.keyring import BadSeal, Erased, KeyRing, KeyUnavailable, MasterKeys, person_keys

OLD, NEW = MasterKeys.generate("2026-01"), MasterKeys.generate("2026-12")
NAME = "Zebedee Quixotic-Marchbanks"


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = create_engine(database_url)
    migrate(engine)
    yield engine
    engine.dispose()


def ring(engine: Engine, spec: str = OLD, cache_seconds: float = 60.0) -> KeyRing:
    return KeyRing(engine, MasterKeys.parse(spec), cache_seconds=cache_seconds)


def test_a_sealed_value_opens_with_its_persons_key_and_is_never_the_same_twice(engine: Engine) -> None:
    keys = ring(engine)
    person = keys.new_key()
    value = {"name": NAME, "date_of_birth": "1990-05-17", "phones": ["07700 900123"]}
    first, second = keys.seal(person, value), keys.seal(person, value)
    assert first != second and NAME not in first
    assert keys.open(first) == keys.open(second) == value
    assert ring(engine).open(first) == value  # another process, no cache: the key comes from the table


def test_destroying_a_key_erases_that_person_alone(engine: Engine) -> None:
    keys = ring(engine)
    offender, victim = keys.new_key(), keys.new_key()
    offender_seal, victim_seal = keys.seal(offender, NAME), keys.seal(victim, "07700 900123")

    assert keys.destroy(offender) is True
    with pytest.raises(Erased) as erased:
        keys.open(offender_seal)
    assert erased.value.key_id == offender
    with pytest.raises(Erased):
        ring(engine).open(offender_seal)  # nor with the database and the master key, from anywhere
    assert keys.open(victim_seal) == "07700 900123"
    assert keys.destroy(offender) is False
    with engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(person_keys)).scalar_one() == 1


def test_a_key_destroyed_elsewhere_stops_opening_here_once_the_cache_lapses(engine: Engine) -> None:
    here, elsewhere = ring(engine, cache_seconds=0), ring(engine)
    person = here.new_key()
    sealed = here.seal(person, NAME)
    elsewhere.destroy(person)
    with pytest.raises(Erased):
        here.open(sealed)


def test_a_seal_moved_to_another_persons_key_or_altered_does_not_open(engine: Engine) -> None:
    keys = ring(engine)
    one, other = keys.new_key(), keys.new_key()
    sealed = keys.seal(one, NAME)
    with pytest.raises(BadSeal):
        keys.open(sealed.replace(one, other))
    body = sealed.rsplit(".", 1)[1]
    flipped = body[:-2] + ("A" if body[-2] != "A" else "B") + body[-1]
    with pytest.raises(BadSeal):
        keys.open(sealed[: -len(body)] + flipped)
    for junk in ("", "p1.", "p1.not-a-uuid.AAAA", f"p1.{one}.!!", "v2:abc"):
        with pytest.raises(BadSeal):
            keys.open(junk)


def test_rotation_rewraps_every_key_under_the_new_master_and_the_old_one_can_go(engine: Engine) -> None:
    before = ring(engine, OLD)
    people = [before.new_key() for _ in range(7)]
    seals = [before.seal(person, f"{NAME} {n}") for n, person in enumerate(people)]

    rotating = ring(engine, f"{NEW},{OLD}")
    assert rotating.rotate(batch=3) == 7
    assert rotating.rotate() == 0

    after = ring(engine, NEW)  # the old master key is no longer configured
    assert [after.open(seal) for seal in seals] == [f"{NAME} {n}" for n in range(7)]
    with engine.connect() as connection:
        masters = set(connection.execute(select(person_keys.c.master_key_id)).scalars())
    assert masters == {"2026-12"}


def test_a_key_whose_master_is_not_configured_is_unavailable_not_erased(engine: Engine) -> None:
    person = ring(engine, OLD).new_key()
    sealed = ring(engine, OLD).seal(person, NAME)
    with pytest.raises(KeyUnavailable, match="2026-01"):
        ring(engine, NEW).open(sealed)
    wrong = MasterKeys.generate("2026-01")  # the right id, the wrong key
    with pytest.raises(KeyUnavailable):
        ring(engine, wrong).open(sealed)


@pytest.mark.parametrize("spec", ["", "no-colon", ":AAAA", "k:not base64!", "k:" + "A" * 10, f"{OLD},{OLD}"])
def test_master_keys_in_configuration_are_checked(spec: str) -> None:
    with pytest.raises(ValueError):
        MasterKeys.parse(spec)


def test_the_first_master_key_given_is_the_current_one() -> None:
    masters = MasterKeys.parse(f" {NEW} , {OLD} ")
    assert masters.current == "2026-12" and set(masters.keys) == {"2026-12", "2026-01"}
