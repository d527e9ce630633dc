"""How long each kind of record is kept (issue 14 item 4): one policy per force, defaults below.

The law sets a principle, not numbers: personal data processed for law enforcement is kept "for no
longer than is necessary for the purpose for which it is processed" (Data Protection Act 2018 s.39(1)),
with periodic review of the need to keep it (s.39(2)). Where a default comes from a published scheme it
says so; where it is this project's judgement it says that too. A force's data protection officer sets
its own through `CARA_RETENTION` (JSON; the notification service also reads `CARA_NOTIFY_RETENTION`):

    {"default": {"idempotency_days": 14},
     "forces": {"KENT": {"consultation_log_years": 7}}}

A force's periods are its own entries over `default`'s over the defaults below; every name and bound
is checked at start, and a mistake names where it is.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields, replace
from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict, Field, StrictInt, ValidationError, field_validator


@dataclass(frozen=True)
class RetentionPolicy:
    """Periods, each counted from the moment named in its field.

    - victim_details_days_after_close = 90 (judgement): the victim contact service's last contact is due
      14 days after the caution closes (DOMAIN.md); 90 leaves room for a late contact and a complaint.
    - offender_identity_years_after_spent = 10: College of Policing APP Management of Police Information
      (MoPI), retention and disposal: domestic-abuse related records are Group 2 (violent offences),
      reviewed at 10 years; a force that classes CARA cautions as Group 3 (6-year clear period) sets 6.
      MoPI schedules a review there, not a deletion: taking the review point as the erasure point is a
      judgement, for a low-risk first-time disposal.
    - notifications_days = 365 (judgement): an inbox item serves the step it prompted (the whole caution
      lasts about four months); a year covers questions about who was told what.
    - delivery_attempts_days = 90 (judgement): webhook and email attempts are operational evidence for
      diagnosing a failed delivery; a finished delivery's attempts are kept this long after the last one.
    - idempotency_days = 30 (judgement): an Idempotency-Key record only serves a client's retry of the
      same request, which comes within minutes; 30 days covers a client's retry queue after an outage.
    - consultation_log_years = 6 (judgement): s.62 requires the logs and their use for verifying
      lawfulness, self-monitoring and criminal proceedings, but sets no period; 6 years matches the
      Limitation Act 1980 s.2 period for a claim about the processing, and MoPI's Group 3 clear period.
    """

    victim_details_days_after_close: int = 90
    offender_identity_years_after_spent: int = 10
    notifications_days: int = 365
    delivery_attempts_days: int = 90
    idempotency_days: int = 30
    consultation_log_years: int = 6


PERIODS = tuple(f.name for f in fields(RetentionPolicy))
MAX_DAYS, MAX_YEARS = 36_500, 100  # beyond these a cut-off would fall before year 1 or be a typing slip


def years_before(moment: datetime, years: int) -> datetime:
    """The same day `years` earlier (29 February becomes the 28th)."""
    try:
        return moment.replace(year=moment.year - years)
    except ValueError:
        return moment.replace(year=moment.year - years, day=28)


def days_before(moment: datetime, days: int) -> datetime:
    return moment - timedelta(days=days)


class RetentionConfig(BaseModel):
    """`CARA_RETENTION`: overrides of the defaults, for every force and per force."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    default: dict[str, StrictInt] = Field(default_factory=dict)  # strict: "30" or 30.5 is a slip, not 30
    forces: dict[str, dict[str, StrictInt]] = Field(default_factory=dict)

    @field_validator("default")
    @classmethod
    def periods_are_known_and_bounded(cls, periods: dict[str, int]) -> dict[str, int]:
        return _checked(periods)

    @field_validator("forces")
    @classmethod
    def each_force_s_periods_are_known_and_bounded(cls, forces: dict[str, dict[str, int]]) -> dict[str, dict[str, int]]:
        problems = []
        for force, periods in forces.items():
            try:
                _checked(periods)
            except ValueError as e:
                problems.append(f"force {force!r}: {e}")
        if problems:
            raise ValueError("; ".join(problems))
        return forces

    @classmethod
    def parse(cls, raw: str, source: str = "CARA_RETENTION") -> RetentionConfig:
        """From JSON text, every mistake named with where it is (a ValueError, never a half-read policy)."""
        try:
            return cls.model_validate(json.loads(raw))
        except json.JSONDecodeError as e:
            raise ValueError(f"{source} is not JSON: {e}") from e
        except ValidationError as e:
            where = ["{}: {}".format(".".join(str(part) for part in error["loc"]) or "(top)", error["msg"])
                     for error in e.errors()]
            raise ValueError(f"{source} is not a retention policy: " + "; ".join(where)) from e

    def policy_for(self, force: str | None) -> RetentionPolicy:
        """The force's periods; None, or a force with no entry of its own, gets the default's."""
        base = replace(RetentionPolicy(), **self.default)
        return replace(base, **self.forces.get(force, {})) if force is not None else base

    def forces_with_their_own(self) -> list[str]:
        return sorted(self.forces)



def _checked(periods: dict[str, int]) -> dict[str, int]:
    problems = []
    for name, value in periods.items():
        limit = MAX_YEARS if name.endswith("_years") else MAX_DAYS
        if name not in PERIODS:
            problems.append(f"unknown period {name!r} (the periods are {', '.join(PERIODS)})")
        elif not 1 <= value <= limit:
            problems.append(f"{name} must be a whole number from 1 to {limit}, not {value!r}")
    if problems:
        raise ValueError("; ".join(problems))
    return periods
