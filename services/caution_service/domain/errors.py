"""Named domain errors. Each carries the rule it enforces so callers can explain a refusal."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RuleFailure:
    rule: str
    message: str


class DomainError(Exception):
    def __init__(self, rule: str, message: str) -> None:
        super().__init__(message)
        self.rule = rule
        self.message = message
        # Set when one command touches several cautions (a register): which one the refusal is about.
        self.caution_id: str | None = None

    def about(self, caution_id: str) -> DomainError:
        self.caution_id = caution_id
        return self


class InvalidCommand(DomainError):
    """The command itself breaks a rule, whatever the caution's state (bad dates, limits)."""


class ConflictsWithState(DomainError):
    """The command is well formed but not allowed in the caution's current state."""


class NotEligible(Exception):
    def __init__(self, failures: list[RuleFailure]) -> None:
        super().__init__("; ".join(f.message for f in failures))
        self.failures = failures


class CautionNotFound(Exception):
    """No such caution, or one of another force's: to a caller outside its force a caution does not exist."""


class SessionNotFound(Exception):
    """No such workshop session, or one of another force's (answered as CautionNotFound is, for the same reason)."""


def require_same_force(caution_force: str, caller_force: str, caution_id: object) -> None:
    """Every read and command is scoped to the caller's force; another force's caution is not disclosed."""
    if caution_force != caller_force:
        raise CautionNotFound(caution_id)


class StoreHoldsClearText(Exception):
    """A caution recorded before personal data was sealed (issue 14): this version refuses to read it.

    Such a store holds names and dates of birth in clear inside its hash chains; it is refused at start
    (event_store.refuse_clear_text_store) rather than read, so nothing is shown or written from it."""
