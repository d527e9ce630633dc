"""Response bodies of the read side: lists, the compliance history, verification, statistics."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StrictInt, StringConstraints

from shared.text import PLAIN_CODE, PLAIN_LINE

from ..search_index import Match
from .schemas import CautionPublic, DataStatePublic, OffenderPublic, PastDate

AS_OF_ECHO = "The `as_of` asked for, as a time (a date asked for is the moment that UK day ends); null if not given."
ON_ECHO = "The `on` asked for, as a time (a date asked for is the moment that UK day ends); null if not given."


class CautionSummary(BaseModel):
    id: str
    force: str
    police_reference: str
    offender_reference: str
    legal_basis: str
    status: str
    version: int
    issued_on: date
    period_ends_on: date
    days_left: int
    next_action: str | None
    next_action_role: str | None
    next_action_due_on: date | None
    overdue: bool
    closed_on: date | None
    spent_on: date | None
    position: int


class CautionPage(BaseModel):
    items: list[CautionSummary]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page.")


class OffenderSearch(BaseModel):
    """Find your force's cautions by the offender's name and date of birth (in the body: never in a URL)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={
        "examples": [{"name": "Alex Example", "date_of_birth": "1990-05-17", "match": "full_name", "limit": 50}]})

    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), PLAIN_LINE] = Field(
        description="The offender's full name (case, accents, apostrophes, hyphens and spacing do not matter).")
    date_of_birth: PastDate
    match: Match = Field(
        Match.FULL_NAME,
        description="full_name: the whole name and the date of birth. surname: the last word of the name and the "
                    "date of birth, for a first name misspelt or given differently; it can find another person "
                    "with the same surname and date of birth, so check the identity in the caution.")
    limit: StrictInt = Field(50, ge=1, le=200)
    cursor: Annotated[str, PLAIN_CODE] | None = Field(None, max_length=200,
                                                      description="The `next_cursor` of the previous page.")


class RecordedByPublic(BaseModel):
    id: str
    role: str
    force: str
    # The token's display claims, each only when it gave one (an entry recorded without them has no such key).
    name: str | None = None
    rank: str | None = None
    collar_number: str | None = None


class HistoryEntry(BaseModel):
    entry: int = Field(description="The entry number, which is the caution's version after this event.")
    position: int
    event_type: str
    summary: str = Field(description="What happened, in plain words.")
    occurred_at: AwareDatetime
    recorded_at: AwareDatetime
    recorded_by: RecordedByPublic
    details: dict[str, Any] = Field(description="What the event recorded; personal data only as it is held, sealed "
                                              "under its person's key (what the hash covers).")
    note: str | None = Field(None, description="A missed workshop's note about the offender, opened for roles that "
                                               "may see who they are; null once their data is erased or restricted.")
    corrects_entry: int | None
    corrected_by: list[int]
    previous_hash: str
    hash: str
    recorded_after: bool | None = Field(None, description=(
        "Only in a history `on` a date: true when the entry was recorded after that moment (it happened by then, "
        "but the record did not say so until later). Absent otherwise."))


class Verdict(BaseModel):
    outcome: Literal["complied", "not_complied", "in_progress", "withdrawn"]
    decision: Literal["breach_decision_pending", "prosecute", "no_further_action"] | None = Field(
        description="Why not complied: the police breach decision, or that it is still due; null otherwise.")
    reasons: list[str]


class ComplianceHistory(BaseModel):
    caution_id: str
    police_reference: str
    force: str
    legal_basis: str
    as_of: AwareDatetime | None = Field(description="What the record said then: the entries recorded by this moment. "
                                        + AS_OF_ECHO)
    on: AwareDatetime | None = Field(description="What had happened by then, as known now: the entries whose events "
                                     "had occurred by this moment, those recorded later included (`recorded_after`), "
                                     "and the state and verdict from them alone. " + ON_ECHO)
    exists: bool = Field(description="False when the caution did not exist on the axes asked about (issued after "
                                     "`on`, or not yet recorded at `as_of`): then there are no entries, the verdict "
                                     "is null and `statement` says so.")
    statement: str | None = Field(description='When `exists` is false, in plain words, e.g. "On 1 March 2026 this '
                                              'caution had not been issued: it was issued on 2 March 2026."')
    verdict: Verdict | None = Field(description="For `on`, as it stood on that UK day; for `as_of`, as the record "
                                                "stood on its UK day; null when `exists` is false.")
    spent_on: date | None = Field(description="The day the caution is spent, from the state shown; null when "
                                              "`exists` is false.")
    offender: OffenderPublic | None = Field(description="Who the entries are about: name, date of birth and gender "
                                                        "opened for this read, or null once erased or restricted. "
                                                        "Null when `exists` is false.")
    personal_data: dict[Literal["offender", "victim"], DataStatePublic] = Field(
        description="Each person's data: held, or restricted or erased (when, why, under which law).")
    entries: list[HistoryEntry]
    digest: str = Field(description=(
        "The head of the chain prefix this history covers (the last entry recorded by `as_of`, or now): it changes "
        "if any entry is altered. `on` filters the entries shown, not what is hashed: the digest still covers "
        "every entry of the prefix, those that happened after `on` included."))
    digest_covers: int = Field(description=(
        "How many entries the digest covers (entries 1 to this): with `on`, more than are shown."))
    verification_path: str = Field(description=(
        "The verification address (path and query) that returns exactly this digest: `as_of` pinned, in UTC, to "
        "the given `as_of` or the moment the last entry covered was recorded, and `on` when given. Entries "
        "recorded later never change what it returns."))
    entries_pending: int = Field(description="Entries recorded in the event store (up to `as_of`) that this history "
                                 "does not show yet, because the read model trails the store: 0 when it is complete. "
                                 "Verdict and digest are as of the entries shown; ask again shortly for the rest. "
                                 "The PDF certificate is refused (503) until it is 0.")


class VerificationReport(BaseModel):
    caution_id: str
    as_of: AwareDatetime | None = Field(description="The chain prefix checked is the one recorded by this moment. "
                                        + AS_OF_ECHO)
    on: AwareDatetime | None = Field(description="Echoed from the history verified: `on` changes what a history "
                                     "shows, never what is checked or hashed. " + ON_ECHO)
    intact: bool
    entries_checked: int
    entries_pending: int = Field(description="Events in the store the history has not caught up with yet.")
    digest: str = Field(description="The digest recomputed from the event store (of the prefix recorded by "
                                    "`as_of`, when given).")
    first_broken_entry: int | None
    problem: str | None


class CautionAsAsked(CautionPublic):
    """The caution, now or on the axes asked about (`as_of`, `on`)."""

    on: AwareDatetime | None = Field(None, description="Present when asked: the state is from what had happened by "
                                     "then, as the record knows it now, and `version` is the last entry that had "
                                     "happened by then (the ETag is still the record's version). " + ON_ECHO)


class CautionNotThen(BaseModel):
    """The answer for a moment before the caution existed: issued after `on`, or not yet recorded at `as_of`."""

    id: str
    exists: Literal[False]
    statement: str = Field(description='In plain words, e.g. "On 1 March 2026 this caution had not been issued: it '
                                       'was issued on 2 March 2026."')
    as_of: AwareDatetime | None = Field(description=AS_OF_ECHO)
    on: AwareDatetime | None = Field(description=ON_ECHO)


class MonthStatistics(BaseModel):
    force: str
    month: str
    issued: int
    completed: int
    breached: int
    withdrawn: int
    median_days_to_complete: float | None


class Statistics(BaseModel):
    items: list[MonthStatistics]


class Consultation(BaseModel):
    at: AwareDatetime
    caution_id: str = Field(description='The caution; "*" for a list or feed page, or a refusal naming none')
    what: Literal["victim_details", "personal_data", "offender_search", "compliance_history", "certificate",
                  "subject_access", "caution_list", "event_feed", "denied"] = Field(
        description="victim_details: the victim's contact details were shown; personal_data: other personal data of "
                    "the caution; offender_search: the caution was found by its offender's name and date of birth; "
                    "caution_list: a page of cautions (offender references) (consultations); compliance_history and "
                    "certificate: the record was given out; subject_access: given to the person it is about, through "
                    "the subject access officer (DPA 2018 s.45); event_feed: feed events were given to a subscriber "
                    "(disclosures); denied: a read of personal data refused (401, 403) or answered 404. A caller "
                    "refused before it was known (401) is logged with force, role and principal_id \"-\"")
    principal_id: str
    role: str
    purpose: str | None = Field(description="What the caller gave as X-Purpose")
    request_id: str | None = Field(description="The service's own id for the request")
    caller_request_id: str | None = Field(description="The X-Request-ID the caller sent, if any")
    route: str | None = Field(description='The route, as its template ("GET /v1/cautions/{caution_id}"); null on '
                                          "entries logged before routes were")
    detail: str | None = Field(description="The filters a list used (names only), the positions a feed page gave, "
                                           "the as_of of a past state, or the answer a denial got")


class ConsultationChainCheck(BaseModel):
    force: str
    intact: bool = Field(description="Every entry of the force's log is as it was written, and none is missing")
    entries_checked: int
    digest: str = Field(description="The hash of the newest entry checked: note it to check later")
    first_broken_id: int | None = Field(description="The first entry that does not match, when one does not")
    problem: str | None


class ConsultationPage(BaseModel):
    items: list[Consultation]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page.")


class SubjectRef(BaseModel):
    person: Literal["offender", "victim"]
    reference: str


class SubjectDataState(BaseModel):
    state: Literal["held", "restricted", "erased"]
    on: date | None
    reason: str | None
    legal_basis: str | None
    statement: str | None = Field(description='"erased on <date> under <basis>" once erased, else null')


class SubjectEntry(BaseModel):
    entry: int
    event_type: str
    sentence: str = Field(description="The entry in the court's words (the compliance history's summary)")
    occurred_at: AwareDatetime
    recorded_at: AwareDatetime
    recorded_by: RecordedByPublic


class VictimContactEntry(SubjectEntry):
    stage: str
    outcome: str
    safeguarding_concern: bool
    notes: str | None = Field(description="Opened; or the erasure statement")


class SubjectCaution(BaseModel):
    caution_id: str
    police_reference: str
    legal_basis: str
    status: str
    issued_at: AwareDatetime
    period_ends_on: date
    data_state: SubjectDataState
    held: dict[str, Any] = Field(description=(
        "What the caution holds about the person, opened. Offender: reference, name, date_of_birth, gender, "
        "offence, offending_history. Victim: reference, dash_risk, consulted, agrees, contact_details. An erased "
        "field says \"erased on <date> under <basis>\"."))
    compliance_history: list[SubjectEntry]
    victim_contacts: list[VictimContactEntry] | None = Field(None, description="A victim's export only")
    entries_withheld: list[int] = Field(description="Entries about the other person, left out")
    consultations: list[Consultation]


class NotificationServiceHolding(BaseModel):
    holds_personal_data: bool
    statement: str


class SubjectAccessExport(BaseModel):
    subject: SubjectRef
    force: str
    generated_at: AwareDatetime
    purpose: str
    legal_basis: str
    cautions: list[SubjectCaution]
    notification_service: NotificationServiceHolding
    notes: list[str]
