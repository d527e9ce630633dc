"""Every problem type either service answers with, explained: what `type: /problems/<slug>` resolves to.

A problem's `type` is a URI a caller can follow (RFC 9457 s.3.1.1): `GET /problems/<slug>` answers with the entry
below, as HTML for a browser or JSON for a program (shared/problem_pages.py). One catalogue for both services, so
a slug means the same everywhere; tests/shared/test_problem_types.py fails when code emits a slug not listed here.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class ProblemType:
    title: str
    statuses: tuple[int, ...]
    when: str
    what_to_do: str

    def public(self, slug: str) -> dict[str, Any]:
        return {"type": f"/problems/{slug}", **asdict(self), "statuses": list(self.statuses)}


_RETRY = "Wait for the seconds in `Retry-After`, then send the same request again (with the same Idempotency-Key " \
         "for a command, so it is recorded once)."

PROBLEM_TYPES: dict[str, ProblemType] = {
    # --- the request itself ---------------------------------------------------------------------------------------
    "bad-request": ProblemType(
        "Bad request", (400,), "The request could not be read as HTTP the service accepts.",
        "Check the request against the OpenAPI document (/openapi.json)."),
    "malformed-json": ProblemType(
        "The body is not valid JSON", (400,), "The body could not be parsed as JSON (`errors` says where).",
        "Send a JSON object with `Content-Type: application/json`."),
    "validation-failed": ProblemType(
        "The request is not valid", (422,),
        "A field is missing, of the wrong type, out of range, unknown (bodies refuse unknown fields), or holds a "
        "character free text may not hold: a control character (line breaks only in notes, reasons, descriptions "
        "and addresses), a bidirectional override or isolate, or an invisible character. `errors` names each "
        "field as `<field>:<reason>`.",
        "Correct the fields named in `errors`; the schema of each body is in the OpenAPI document."),
    "unknown-query-parameter": ProblemType(
        "Unknown query parameter", (400,),
        "The query string holds a parameter the route does not take (`parameters` names them): it would otherwise "
        "be ignored, and a list answered as if unfiltered.",
        "Remove or correct the parameters named; the detail lists those the route takes."),
    "bad-cursor": ProblemType(
        "Unknown cursor", (400,), "The `cursor` is not one this service gave out (altered, truncated, or from "
        "another list).", "Start again from the first page, then pass each `next_cursor` back unchanged."),
    "payload-too-large": ProblemType(
        "Request body too large", (413,), "The body is larger than the service takes.",
        "Send a smaller body; no command needs more than a few kilobytes."),
    "unsupported-media-type": ProblemType(
        "Unsupported media type", (415,), "The body is not in a media type the route reads.",
        "Send `Content-Type: application/json`."),
    "not-acceptable": ProblemType(
        "Not acceptable", (406,), "None of the media types in `Accept` can be produced by this route.",
        "Accept `application/json` (or `application/pdf` where a route offers a PDF)."),
    "method-not-allowed": ProblemType(
        "Method not allowed", (405,), "The path exists but not with this method.",
        "Use a method the OpenAPI document lists for the path."),
    "http-error": ProblemType(
        "Request failed", (400,), "The request was refused by the HTTP layer for a reason without a type of its own.",
        "Read `detail`; check the request against the OpenAPI document."),
    "bad-if-match": ProblemType(
        "Malformed If-Match", (400,), "`If-Match` is not an entity tag the service gives out.",
        'Send the `ETag` of your last read or command answer as it was given, e.g. `If-Match: "3"`, or `*`.'),
    "bad-idempotency-key": ProblemType(
        "Empty Idempotency-Key", (400,), "`Idempotency-Key` was sent empty or as blanks.",
        "Send a new unique key (a UUID) for each new command, or leave the header out."),
    "purpose-required": ProblemType(
        "Say why", (400,), "The read gives out personal data that is logged with its reason (Data Protection Act "
        "2018 s.62), and no `X-Purpose` was sent.", "Send `X-Purpose` with why you need it (e.g. a case reference)."),
    "search-by-post": ProblemType(
        "Search by name with POST /v1/cautions/search", (400,),
        "A name or date of birth was put in a URL, where proxies and browsers would log it.",
        "Send them in the body of POST /v1/cautions/search."),
    "one-subject": ProblemType(
        "Name one person", (400,), "A subject access export names exactly one person.",
        "Give exactly one of `offender_ref` and `victim_ref`."),
    "unsearchable-name": ProblemType(
        "The name has no letters or digits", (422,), "The name searched for has nothing left to compare once "
        "punctuation and spacing are set aside.", "Give the offender's name as it is written."),
    "unknown-position": ProblemType(
        "No write has that position", (422,), "`min_position` is beyond anything recorded.",
        "Send the `position` a command answer gave you."),
    # --- who is asking --------------------------------------------------------------------------------------------
    "unauthorized": ProblemType(
        "Authentication required", (401,), "No bearer token was sent, or it was refused (expired, wrong issuer or "
        "audience, bad signature, unknown role).", "Get a fresh token from your force's identity provider."),
    "forbidden": ProblemType(
        "Not allowed", (403,), "Your role may not do this, or not for the force asked about.",
        "Ask someone with a role the detail names, or ask only about your own force."),
    "national-scope": ProblemType(
        "National scope not granted", (403,), "The token names force \"*\" (every force). Only a subscriber listed "
        "in CARA_NATIONAL_SUBSCRIBERS may hold it, to read the event feed, and a commissioner listed in "
        "CARA_NATIONAL_COMMISSIONERS, to read the outcomes report.",
        "Use a token for your own force, or ask the service's operator to list your feed client or commissioner."),
    "not-found": ProblemType(
        "Not found", (404,), "Nothing with that id exists in your force (another force's records are answered the "
        "same way, so as not to say they exist).", "Check the id; list your force's records to find it."),
    # --- the record's state ---------------------------------------------------------------------------------------
    "not-eligible": ProblemType(
        "The offender is not eligible for a CARA caution", (422,), "One or more eligibility rules failed; `errors` "
        "names each rule and why. When the offender already has a CARA caution in your force within the look-back "
        "period, `previous_cautions` lists each (id, police reference, date, address).", "Nothing is recorded. "
        "Correct the facts if they were entered wrongly; otherwise a CARA caution cannot be given."),
    "duplicate-police-reference": ProblemType(
        "This police reference already has a caution in your force", (409,), "A caution was already issued under "
        "this police reference in your force (one caution per police reference per force); `existing_caution_id` "
        "and `existing_caution` name it, with its address.", "Nothing is recorded. Read the existing caution; a "
        "retry of the request that issued it should carry the same Idempotency-Key, which replays its answer."),
    "rule-violated": ProblemType(
        "The command breaks a CARA rule", (422,), "The command is well formed but a rule refuses it (`errors` names "
        "the rule), e.g. workshop B less than 28 days after A.", "Read the rule in `errors`; nothing was recorded."),
    "conflicts-with-state": ProblemType(
        "Not allowed in the caution's current state", (409,), "The caution is in a state where this step cannot "
        "happen (closed, or waiting on an earlier step).",
        "Read the caution (`required_actions`, `next_action`) to see what can happen next."),
    "venue-name-taken": ProblemType(
        "The force already has an active venue of that name", (409,), "Another active venue of your force has the "
        "name given (two would make a session's venue ambiguous).", "Give the venue a distinguishing name, or retire "
        "the other one first (PATCH /v1/venues/{id} with `active: false`)."),
    "stale-version": ProblemType(
        "The caution has changed since you read it", (412,), "`If-Match` named a version that is no longer current; "
        "the `ETag` header holds the current one.", "Read the caution again, check the change, and resend with the "
        "new ETag."),
    "concurrent-change": ProblemType(
        "The caution is being changed by others", (409,), "Another command on the same caution was recorded at the "
        "same moment.", "Send the same request again."),
    "idempotency-key-in-flight": ProblemType(
        "A request with this Idempotency-Key is being processed", (409,), "The first request with this key has not "
        "been answered yet.", "Retry with the same key shortly to receive the recorded answer."),
    "idempotency-key-reused": ProblemType(
        "Idempotency-Key reused with a different request", (422,), "The key was already used for a request with a "
        "different body, path or method.", "Use a new key for each new command."),
    "webhook-target-refused": ProblemType(
        "Webhook target refused", (422,), "The webhook URL leads to an address inside a network (loopback, private, "
        "link-local, metadata service), carries credentials, or is not https in production; `rule` says which.",
        "Register a public https receiver, or ask the operator to allow an on-premise one "
        "(CARA_NOTIFY_WEBHOOK_ALLOWED_NETWORKS)."),
    # --- the service ----------------------------------------------------------------------------------------------
    "busy": ProblemType("Too many commands waiting", (503,), "The service's queue of commands is full.", _RETRY),
    "too-many-requests": ProblemType(
        "Too many requests", (429,), "You (or your address) sent more requests, or more failed authentications, "
        "than the limit allows in the period.", _RETRY),
    "deadline-passed": ProblemType(
        "The request took too long", (503,), "The service could not answer within its deadline; a command may "
        "still be recorded.", _RETRY),
    "database-unavailable": ProblemType(
        "The database is unavailable", (503,), "The service cannot reach or write its database.", _RETRY),
    "keys-unavailable": ProblemType(
        "Cannot verify tokens yet", (503,), "The identity provider's signing keys cannot be fetched, so no token "
        "can be checked (your token may be fine).", _RETRY),
    "key-unavailable": ProblemType(
        "A key this record needs is not configured", (503,), "A data key sealing this record cannot be opened "
        "by this instance (an operator's configuration matter).", _RETRY + " Tell the service's operators."),
    "no-record-then": ProblemType(
        "No certificate of a caution that did not exist then", (422,),
        "A certificate was asked for `on` a moment before the caution was issued, or `as_of` a moment before the "
        "record held it: there is no compliance to certify.",
        "Ask for the compliance history as JSON: it says so (`exists: false` and a statement), or choose a later "
        "moment."),
    "read-model-behind": ProblemType(
        "The read model has not caught up yet", (503,), "Lists and histories trail the event store briefly; the "
        "answer would not include every write yet (or the read models are being rebuilt).", _RETRY),
    "not-ready": ProblemType(
        "Not ready", (503,), "A readiness probe: the database cannot be written, tokens cannot be verified, or the "
        "read models are too far behind.", "For operators: the detail says which; the instance is taken out of "
        "service until it is ready."),
    "internal-error": ProblemType(
        "Internal error", (500,), "Something failed that should not have; it has been logged with the request id.",
        "Tell the service's operators the `X-Request-ID` of the answer."),
}
