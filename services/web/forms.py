"""Forms: every POST carries the session's CSRF token; refusals from the services become GOV.UK error summaries.

A refusal's `errors` name rules ("offender_must_be_adult") or request fields ("body.offender.date_of_birth:..."); a
page maps them to its own field ids, so the error summary links each message to the field it is about (WCAG 3.3.1).
"""

from __future__ import annotations

import hmac
import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field

from fastapi import Request
from starlette.datastructures import FormData

from .backend import ApiProblem

CSRF_FIELD = "csrf_token"
IDEMPOTENCY_FIELD = "idempotency_key"
REFUSALS = (400, 409, 412, 422)  # a service's answers that a form shows as its errors (others are the error page's)
CAUTION_CHANGED = "This caution changed since you opened the page: check it and try again"


class CsrfRefused(Exception):
    """The form did not carry this session's token: from another site, or from a session that has ended."""


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = request.session["csrf"] = secrets.token_urlsafe(32)
    return token


async def checked_form(request: Request) -> FormData:
    form = await request.form()
    sent = form.get(CSRF_FIELD)
    expected = request.session.get("csrf")
    if not (isinstance(sent, str) and isinstance(expected, str) and hmac.compare_digest(sent, expected)):
        raise CsrfRefused()
    return form


def text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def idempotency_key(form: FormData) -> str:
    """The key rendered into the form (a resubmission replays the first answer), else a new one."""
    key = text(form, IDEMPOTENCY_FIELD)
    try:
        return str(uuid.UUID(key))
    except ValueError:
        return str(uuid.uuid4())


@dataclass
class FieldErrors:
    """Messages by field id, in the order the error summary lists them; "" for one not about any field."""

    messages: dict[str, list[str]] = field(default_factory=dict)

    def add(self, field_id: str, message: str) -> None:
        self.messages.setdefault(field_id, []).append(message)

    def __bool__(self) -> bool:
        return bool(self.messages)

    def of(self, field_id: str) -> dict[str, str] | None:
        """The GOV.UK `errorMessage` parameter for a field, or None."""
        found = self.messages.get(field_id)
        return {"text": " ".join(found)} if found else None

    def summary(self) -> list[dict[str, str]]:
        """The GOV.UK error summary's `errorList`: each message linked to its field."""
        return [{"text": message, **({"href": f"#{field_id}"} if field_id else {})}
                for field_id, messages in self.messages.items() for message in messages]

    @classmethod
    def from_problem(cls, problem: ApiProblem, fields: Mapping[str, str]) -> FieldErrors:
        """`fields` maps a rule name, or a request field's dotted path ("offender.date_of_birth"), to a field id."""
        errors = cls()
        for error in problem.errors:
            rule = str(error.get("rule", ""))
            message = str(error.get("message") or problem.title)
            errors.add(_field_for(rule, fields), message)
        if not errors:
            errors.add("", problem.detail or problem.title)
        return errors


def refusal(problem: ApiProblem, fields: Mapping[str, str], stale: str = CAUTION_CHANGED) -> FieldErrors:
    """The API's refusal as messages against this form's fields; a stale version (412: what the form was drawn from
    changed since it was opened) as the one message that helps."""
    if problem.status == 412:
        errors = FieldErrors()
        errors.add("", stale)
        return errors
    return FieldErrors.from_problem(problem, fields)


def _field_for(rule: str, fields: Mapping[str, str]) -> str:
    if rule in fields:
        return fields[rule]
    where = rule.partition(":")[0].removeprefix("body.")
    while where:
        if where in fields:
            return fields[where]
        where = where.rpartition(".")[0]
    return ""
