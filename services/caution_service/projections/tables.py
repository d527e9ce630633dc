"""Read-model tables. They live beside the event store and can be dropped and rebuilt from it."""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, Date, DateTime, Index, Integer, MetaData, String, Table, Text

metadata = MetaData()

positions = Table(
    "projection_positions",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("position", BigInteger, nullable=False),
)

summaries = Table(
    "caution_summaries",
    metadata,
    Column("caution_id", String(36), primary_key=True),
    Column("force", String(64), nullable=False),
    Column("police_reference", String(100), nullable=False),
    Column("offender_reference", String(100), nullable=False),
    # Null only in a row projected before migration 0009: a rebuild fills it (subject access by victim needs it).
    Column("victim_reference", String(100)),
    # Each person's data: held, restricted or erased (disclosure.data_state), for the retention job's queries.
    Column("offender_data", String(16), nullable=False, server_default="held"),
    Column("victim_data", String(16), nullable=False, server_default="held"),
    Column("legal_basis", String(32), nullable=False),
    Column("status", String(32), nullable=False),
    Column("version", Integer, nullable=False),
    Column("round", Integer, nullable=False),
    Column("issued_at", DateTime(timezone=True), nullable=False),
    Column("issued_on", Date, nullable=False),
    Column("period_ends_on", Date, nullable=False),
    Column("next_action", String(64)),
    Column("next_action_role", String(32)),
    Column("next_action_due_on", Date),
    Column("deadline_passed", Boolean, nullable=False),
    Column("closed_on", Date),
    Column("spent_on", Date),
    Column("position", BigInteger, nullable=False),
    # The provider's worklist (api/provider_worklist.py), each set only while the caution needs it: first contact
    # due by, and the workshop to book with the last day its session may be on. Null in rows projected before
    # migration 0016 until a rebuild of caution_summaries fills them.
    Column("first_contact_due_on", Date),
    Column("first_contact_at", DateTime(timezone=True)),
    Column("book_workshop", String(1)),
    Column("book_by", Date),
    # The first day that workshop's session may be on (B: the gap after A), null where no rule sets one. Null in
    # rows projected before migration 0022 until a rebuild of caution_summaries fills it.
    Column("book_from", Date),
    # Each list filter has an index that also yields the newest-first order, so a page never sorts the force.
    Index("ix_summaries_force_issued", "force", "issued_on", "caution_id"),
    Index("ix_summaries_force_status_issued", "force", "status", "issued_on", "caution_id"),
    Index("ix_summaries_force_offender_issued", "force", "offender_reference", "issued_on", "caution_id"),
    Index("ix_summaries_force_police_reference", "force", "police_reference"),
    # No index serves a subject access search by victim reference or the retention job's daily queries: each
    # index costs every update that moves a row (PostgreSQL writes a new entry in all of them), and those
    # queries run a few times a month and once a day, where reading the table through is quick enough.
    Index("ix_summaries_force_due", "force", "next_action_due_on"),
    Index("ix_summaries_open_period", "status", "period_ends_on"),
    Index("ix_summaries_force_first_contact", "force", "first_contact_due_on"),
    Index("ix_summaries_force_book_by", "force", "book_by"),
)

history = Table(
    "compliance_history",
    metadata,
    Column("caution_id", String(36), primary_key=True),
    Column("entry", Integer, primary_key=True),
    Column("position", BigInteger, nullable=False),
    Column("event_type", String(64), nullable=False),
    Column("summary", Text, nullable=False),
    # ISO text, so the offset the caller gave survives on every database and the hash can be recomputed.
    Column("occurred_at", String(40), nullable=False),
    Column("recorded_at", String(40), nullable=False),
    Column("recorded_by_id", String(200), nullable=False),
    Column("recorded_by_role", String(32), nullable=False),
    Column("recorded_by_force", String(64), nullable=False),
    # The token's display claims (shared/auth.py), when the event holds them: null for entries recorded without.
    Column("recorded_by_name", String(200)),
    Column("recorded_by_rank", String(64)),
    Column("recorded_by_collar_number", String(32)),
    Column("details", Text, nullable=False),
    Column("corrects_entry", Integer),
    Column("previous_hash", String(64), nullable=False),
    Column("entry_hash", String(64), nullable=False),
)

# The blind index of offender names and dates of birth (search_index.py): keyed terms only, never clear text
# or an unkeyed hash. A caution's rows go when its offender's data is erased or restricted.
offender_search = Table(
    "offender_search",
    metadata,
    Column("caution_id", String(36), primary_key=True),
    Column("term", String(64), primary_key=True),  # hex HMAC-SHA256
    Column("force", String(64), nullable=False),
    Column("key_id", String(64), nullable=False),  # the master key the term's HMAC key was derived from
    Index("ix_offender_search_force_term", "force", "term"),
)

# Workshop sessions (domain/session.py), for the provider's and the police's lists. A session holds no personal
# data: its cautions are named by id, and the roster reads their police reference and status from caution_summaries.
workshop_sessions = Table(
    "workshop_sessions",
    metadata,
    Column("session_id", String(36), primary_key=True),
    Column("force", String(64), nullable=False),
    Column("provider", String(200), nullable=False),
    Column("workshop", String(1), nullable=False),
    Column("venue_id", String(36), nullable=False),
    Column("venue_name", String(200), nullable=False),
    Column("starts_at", DateTime(timezone=True), nullable=False),
    Column("ends_at", DateTime(timezone=True), nullable=False),
    Column("starts_on", Date, nullable=False),  # the UK day it starts on, for day filters
    Column("capacity", Integer, nullable=False),
    Column("booked", Integer, nullable=False),
    Column("group", String(16), nullable=False),
    Column("facilitators", Text, nullable=False),  # a JSON array of names, as planned
    Column("status", String(16), nullable=False),
    Column("register_recorded_at", DateTime(timezone=True)),  # the first register's (a correction leaves it)
    Column("version", Integer, nullable=False),
    Column("position", BigInteger, nullable=False),
    # The list's order (starts_at, id) within a force; the worklist's "this fortnight" and "register overdue" too.
    Index("ix_workshop_sessions_force_starts", "force", "starts_at", "session_id"),
    Index("ix_workshop_sessions_force_status_ends", "force", "status", "ends_at"),
)

# Each caution a session holds or has a register line for: `booked` while its place is taken, `outcome` once the
# register is recorded (a caution released after the register keeps its line, no longer booked).
session_bookings = Table(
    "session_bookings",
    metadata,
    Column("session_id", String(36), primary_key=True),
    Column("caution_id", String(36), primary_key=True),
    Column("booked", Boolean, nullable=False),
    Column("outcome", String(32)),
)

# Each caution's required actions over time (domain/worklist.py), for GET /v1/worklist: a row is one action of one
# role, outstanding from `valid_from` to the day before `valid_until` (null: no bound), so a worklist is the rows
# valid today. A caution's rows are replaced on each of its events. `ordinal` is the action's place in the caution's
# list (most pressing first); `due_on_the_day`: due on whichever day it is asked about (`due_on` null). The concern
# columns name the open safeguarding concern an acknowledgement is for (its entry, urgency and category; never what
# was said), null for every other action, and in rows projected before migration 0021 until a rebuild of
# worklist_items or the caution's next event fills them.
worklist_items = Table(
    "worklist_items",
    metadata,
    Column("caution_id", String(36), primary_key=True),
    Column("seq", Integer, primary_key=True),  # the row's place in the caution's schedule
    Column("force", String(64), nullable=False),
    Column("role", String(32), nullable=False),
    Column("action", String(64), nullable=False),
    Column("ordinal", Integer, nullable=False),
    Column("due_on", Date),
    Column("due_on_the_day", Boolean, nullable=False),
    Column("valid_from", Date),
    Column("valid_until", Date),
    Column("police_reference", String(100), nullable=False),
    Column("position", BigInteger, nullable=False),  # the feed position of the caution's last event projected
    Column("concern_entry", Integer),
    Column("concern_urgency", String(16)),
    Column("concern_category", String(32)),
    Index("ix_worklist_items_force_role_due", "force", "role", "due_on", "caution_id"),
)

# The scrutiny panel's cases (issue 19): per caution, each entry a panel of police and provider should review (a
# breach referral, an accepted excuse, a safeguarding concern, a caution run out of time), and the panel that
# reviewed it. No personal data: cautions by id and police reference, and the panel's members only as a count.
panel_cases = Table(
    "panel_cases",
    metadata,
    Column("caution_id", String(36), primary_key=True),
    Column("entry", Integer, primary_key=True),  # the case's entry number in the caution's record
    Column("force", String(64), nullable=False),
    Column("kind", String(32), nullable=False),  # PanelCaseKind's values
    Column("happened_on", Date, nullable=False),  # the UK day
    Column("police_reference", String(100), nullable=False),
    # Set by the first CaseReviewedByPanel of this kind on the caution recorded after the case (its entry number
    # too, so that striking the review out clears it), with the panel's day and how many sat on it.
    Column("reviewed_panel_id", String(36)),
    Column("reviewed_entry", Integer),
    Column("reviewed_on", Date),
    Column("reviewed_members", Integer),
    Column("position", BigInteger, nullable=False),
    Index("ix_panel_cases_force_happened", "force", "happened_on", "caution_id", "entry"),
    Index("ix_panel_cases_force_panel", "force", "reviewed_panel_id"),
)

# The outcomes report (projections/outcomes.py, issue 19): one row per caution, named by a keyed blind index of its
# id (HMAC under a key derived from a master key, whose id is beside it), never by the id itself: the table alone
# links to no caution, and holds no name, reference or date of birth. Gender is "not_recorded" while the offender's
# data is erased or restricted. Contacts and concerns are JSON by entry number, so a correction can strike one out.
outcome_cautions = Table(
    "outcome_cautions",
    metadata,
    Column("caution_key", String(64), primary_key=True),  # hex HMAC-SHA256 of the caution id
    Column("key_id", String(64), nullable=False),
    Column("force", String(64), nullable=False),
    Column("cohort_month", String(7), nullable=False),  # the UK month of issue, YYYY-MM
    Column("legal_basis", String(32), nullable=False),
    Column("gender", String(16), nullable=False),
    Column("outcome", String(24), nullable=False),
    Column("days_to_first_contact", Integer),
    Column("days_to_workshop_a", Integer),
    Column("days_to_completion", Integer),
    Column("contacts", Text, nullable=False),  # {"entry": "stage outcome"}
    Column("concerns", Text, nullable=False),  # {"entry": [raised (recorded) at ISO, minutes to acknowledge | null]}
    Column("position", BigInteger, nullable=False),
)

# The report's counts, kept summed by the projector per cohort cell, so a year's national report reads a few
# hundred rows whatever the number of cautions.
outcome_cells = Table(
    "outcome_cells",
    metadata,
    Column("force", String(64), primary_key=True),
    Column("cohort_month", String(7), primary_key=True),
    Column("legal_basis", String(32), primary_key=True),
    Column("gender", String(16), primary_key=True),
    Column("outcome", String(24), primary_key=True),
    Column("cautions", Integer, nullable=False),
    Column("contact_a_contacted", Integer, nullable=False),
    Column("contact_a_unable", Integer, nullable=False),
    Column("contact_a_declined", Integer, nullable=False),
    Column("contact_completion_contacted", Integer, nullable=False),
    Column("contact_completion_unable", Integer, nullable=False),
    Column("contact_completion_declined", Integer, nullable=False),
    Column("concerns", Integer, nullable=False),
    Column("concerns_acknowledged", Integer, nullable=False),
    Index("ix_outcome_cells_month", "cohort_month"),
)

# How many cautions of a cohort took each number of days (first contact, workshop A, completion), and how many
# concerns took each number of minutes to acknowledge: medians and 90th percentiles are exact from these counts.
outcome_durations = Table(
    "outcome_durations",
    metadata,
    Column("force", String(64), primary_key=True),
    Column("cohort_month", String(7), primary_key=True),
    Column("measure", String(24), primary_key=True),
    Column("value", Integer, primary_key=True),
    Column("count", Integer, nullable=False),
    Index("ix_outcome_durations_month", "cohort_month"),
)

# Each workshop session's part in the report: held (its register recorded), its places and how many were filled at
# the register (the cautions it lists); and their sums per force and UK month the session was on.
outcome_sessions = Table(
    "outcome_sessions",
    metadata,
    Column("session_id", String(36), primary_key=True),
    Column("force", String(64), nullable=False),
    Column("month", String(7), nullable=False),
    Column("held", Boolean, nullable=False),
    Column("capacity", Integer, nullable=False),
    Column("filled", Integer, nullable=False),
)

outcome_session_cells = Table(
    "outcome_session_cells",
    metadata,
    Column("force", String(64), primary_key=True),
    Column("month", String(7), primary_key=True),
    Column("sessions_held", Integer, nullable=False),
    Column("places", Integer, nullable=False),
    Column("filled", Integer, nullable=False),
)
