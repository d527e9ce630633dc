"""Response bodies of the read side: lists, the compliance history, verification, statistics."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, Field


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


class RecordedByPublic(BaseModel):
    id: str
    role: str
    force: str


class HistoryEntry(BaseModel):
    entry: int = Field(description="The entry number, which is the caution's version after this event.")
    position: int
    event_type: str
    summary: str = Field(description="What happened, in plain words.")
    occurred_at: AwareDatetime
    recorded_at: AwareDatetime
    recorded_by: RecordedByPublic
    details: dict[str, Any]
    corrects_entry: int | None
    corrected_by: list[int]
    previous_hash: str
    hash: str


class Verdict(BaseModel):
    outcome: Literal["complied", "not_complied", "in_progress", "withdrawn"]
    reasons: list[str]


class ComplianceHistory(BaseModel):
    caution_id: str
    police_reference: str
    force: str
    legal_basis: str
    as_of: AwareDatetime | None
    verdict: Verdict
    entries: list[HistoryEntry]
    digest: str = Field(description="The last entry's hash: it changes if any entry is altered.")
    entries_pending: int = Field(description="Entries recorded in the event store (up to `as_of`) that this history "
                                 "does not show yet, because the read model trails the store: 0 when it is complete. "
                                 "Verdict and digest are as of the entries shown; ask again shortly for the rest. "
                                 "The PDF certificate is refused (503) until it is 0.")


class VerificationReport(BaseModel):
    caution_id: str
    intact: bool
    entries_checked: int
    entries_pending: int = Field(description="Events in the store the history has not caught up with yet.")
    digest: str = Field(description="The digest recomputed from the event store.")
    first_broken_entry: int | None
    problem: str | None


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
    what: Literal["victim_details", "personal_data", "compliance_history", "certificate", "caution_list",
                  "event_feed", "denied"] = Field(
        description="victim_details: the victim's contact details were shown, personal_data: other personal data of "
                    "the caution, caution_list: a page of cautions (offender references) (consultations); "
                    "compliance_history and certificate: the record was given out, event_feed: feed events were "
                    "given to a subscriber (disclosures); denied: a read of personal data refused (401, 403) or "
                    "answered 404. A caller refused before it was known (401) is logged with force, role and "
                    "principal_id \"-\"")
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
