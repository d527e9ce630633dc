"""Who sees which personal data, declared once, and the opening of what a caution holds sealed.

Every view of a caution (a read, a command's answer, the court's history, a subject access export)
asks `shown_to` what a role may see, and `PersonalData` opens the sealed fields it may. The table is
the data-minimisation decision (Data Protection Act 2018 s.37: adequate, relevant and not excessive
for the purpose), one line per kind of field, with the reason:

- offender identity (name, date of birth, gender): police (their case), court (it asks by name and
  tries the person), provider (it must admit the right person to a group session and contact them).
  Not the victim contact service: it talks to the victim, who knows who the offender is.
- offence description (free text about the offender and the victim): police and court. The provider
  runs a group awareness workshop from the category; the text of what happened is not its business.
- offending history: police (eligibility) and court.
- DASH risk: police, the victim contact service (safety planning for the victim), the provider
  (safety in a group session) and the court.
- victim reference: police, the victim contact service and the court; never the provider, whose
  work is with the offender and who has no reason to link them to a victim.
- victim contact details: the victim contact service alone.
- what was said in raising a safeguarding concern (issue 19): the victim contact service alone, like its
  notes of a contact, whoever raised it (a provider's concern is sealed under the victim's key too). The
  police are told there is a concern, its kind and urgency, and to contact that service.

A person's data that is erased (its key destroyed) or restricted is shown to no role: the view says
"erased on <date> under <basis>" (or restricted) in its place.
"""

from __future__ import annotations

from enum import Enum
from typing import Any

from shared.auth import Role
from shared.catalogue import is_sealed
from shared.keyring import Erased, KeyRing

from .domain.caution import Caution
from .domain.values import DataNotice, OffenderIdentity, Person


class Field(Enum):
    OFFENDER_IDENTITY = "offender_identity"
    OFFENCE_DESCRIPTION = "offence_description"
    OFFENDING_HISTORY = "offending_history"
    DASH_RISK = "dash_risk"
    VICTIM_REFERENCE = "victim_reference"
    VICTIM_DETAILS = "victim_details"


SEEN_BY: dict[Field, frozenset[Role]] = {
    Field.OFFENDER_IDENTITY: frozenset({Role.POLICE, Role.COURT, Role.PROVIDER}),
    Field.OFFENCE_DESCRIPTION: frozenset({Role.POLICE, Role.COURT}),
    Field.OFFENDING_HISTORY: frozenset({Role.POLICE, Role.COURT}),
    Field.DASH_RISK: frozenset({Role.POLICE, Role.VICTIM_CONTACT, Role.PROVIDER, Role.COURT}),
    Field.VICTIM_REFERENCE: frozenset({Role.POLICE, Role.VICTIM_CONTACT, Role.COURT}),
    Field.VICTIM_DETAILS: frozenset({Role.VICTIM_CONTACT}),
}

# Whose data each field is: an erasure or restriction of that person hides it.
OWNER: dict[Field, Person] = {
    Field.OFFENDER_IDENTITY: Person.OFFENDER,
    Field.OFFENCE_DESCRIPTION: Person.OFFENDER,
    Field.OFFENDING_HISTORY: Person.OFFENDER,
    Field.DASH_RISK: Person.VICTIM,
    Field.VICTIM_REFERENCE: Person.VICTIM,
    Field.VICTIM_DETAILS: Person.VICTIM,
}

# Fields held sealed: the others (a reference, a risk level, dates of past disposals) are pseudonymous or
# coarse, and kept in clear so that lists, filters and the rules work on them.
SEALED = frozenset({Field.OFFENDER_IDENTITY, Field.OFFENCE_DESCRIPTION, Field.VICTIM_DETAILS})


def shown_to(role: Role, field: Field, caution: Caution) -> bool:
    """Whether `role` may see `field` of this caution now (not once its person is erased or restricted)."""
    person = OWNER[field]
    return role in SEEN_BY[field] and not caution.is_erased(person) and not caution.is_restricted(person)


def fields_shown(role: Role, caution: Caution) -> frozenset[Field]:
    """Every field `role` may see of this caution now: `shown_to` for each, worked out once per role while no
    one's data is erased or restricted (nearly always, and on every command's answer)."""
    if not caution.erased and not caution.restricted:
        return _SHOWN_WHILE_HELD[role]
    return frozenset(field for field in Field if shown_to(role, field, caution))


_SHOWN_WHILE_HELD = {role: frozenset(field for field, roles in SEEN_BY.items() if role in roles) for role in Role}


def data_state(caution: Caution, person: Person) -> dict[str, Any]:
    """What the record says of the person's data: held, restricted or erased, and when and why."""
    notice: DataNotice | None = caution.erased.get(person.value)
    state = "erased"
    if notice is None:
        notice, state = caution.restricted.get(person.value), "restricted"
    if notice is None:
        return {"state": "held", "on": None, "reason": None, "legal_basis": None}
    return {"state": state, "on": notice.on.isoformat(), "reason": notice.reason,
            "legal_basis": notice.legal_basis.value}


def identity_json(identity: OffenderIdentity) -> dict[str, str]:
    """The offender's identity as it is sealed (and shown): what `PersonalData.offender_identity` gives back."""
    return {"name": identity.name, "date_of_birth": identity.date_of_birth.isoformat(),
            "gender": identity.gender.value}


# Free text about the offender sealed in an event, by event: shown beside the entry in the compliance history to
# the roles that may see who the offender is (the sentence the court reads says only that there is one).
SEALED_NOTES: dict[str, str] = {"WorkshopMissed": "note"}


def entry_note(entry: dict[str, Any], caution: Caution, role: Role | None, personal: PersonalData) -> str | None:
    """The entry's sealed note, opened for `role` (None: the offender themself, by subject access); None when the
    entry has none, the role may not see it, or the offender's data is erased or restricted."""
    name = SEALED_NOTES.get(entry["event_type"])
    sealed = entry["details"].get(name) if name else None
    if not isinstance(sealed, str):
        return None
    if not is_sealed(sealed):
        return sealed  # recorded before notes were sealed: as it was given
    if role is not None and not shown_to(role, Field.OFFENDER_IDENTITY, caution):
        return None
    if caution.is_erased(Person.OFFENDER):
        return None
    opened = personal.open_sealed(sealed)
    return opened if isinstance(opened, str) else None


def concern_details(sealed: str | None, caution: Caution, role: Role, personal: PersonalData) -> str | None:
    """What was said in raising a safeguarding concern, opened for the victim contact role alone; None for any other
    role, when nothing was said, or once the victim's data is erased or restricted."""
    if sealed is None or not shown_to(role, Field.VICTIM_DETAILS, caution):
        return None
    opened = personal.open_sealed(sealed)
    return opened.get("details") if isinstance(opened, dict) else None


def contact_notes(sealed: str | None, caution: Caution, role: Role, personal: PersonalData) -> str | None:
    """The victim contact service's notes of a contact with the victim, opened for that role alone; None for any other
    role, when no notes were taken, or once the victim's data is erased or restricted."""
    if sealed is None or not shown_to(role, Field.VICTIM_DETAILS, caution):
        return None
    opened = personal.open_sealed(sealed)
    return opened.get("notes") if isinstance(opened, dict) else None


def seal_concern_details(keyring: KeyRing, caution: Caution, details: str | None) -> str | None:
    """What was said, sealed under the victim's key (nothing is sealed under an erased person's key)."""
    if not details:
        return None
    caution.require_not_erased(Person.VICTIM)
    return keyring.seal(caution.victim_key, {"details": details})


class PersonalData:
    """Opens a caution's sealed fields (a person's data key is needed: shared/keyring.py)."""

    def __init__(self, keyring: KeyRing) -> None:
        self.keyring = keyring

    def offender_identity(self, caution: Caution) -> dict[str, Any] | None:
        return self.open_sealed(caution.offender.identity_sealed)

    def offence_description(self, caution: Caution) -> str | None:
        return self.open_sealed(caution.offence.description)

    def victim_details(self, caution: Caution) -> dict[str, Any] | None:
        sealed = caution.victim_details_sealed
        return self.open_sealed(sealed) if sealed is not None else None

    def open_sealed(self, seal: str) -> Any:
        """Any seal of the caution's (a note, contact details): None once its person's key is destroyed (the
        caution's own record of the erasure says so to the reader)."""
        try:
            return self.keyring.open(seal)
        except Erased:
            return None
