"""Record ids in the web application's addresses: only a UUID is an id, so nothing else a browser puts in a path
is ever sent on to a service (and nothing personal could be)."""

from __future__ import annotations

import uuid

from .backend import ApiProblem


def an_id(value: str) -> str | None:
    """`value` as the canonical form of a UUID, or None."""
    try:
        return str(uuid.UUID(value.strip()))
    except ValueError:
        return None


def known_id(value: str) -> str:
    """A record id from the path; anything else is a page that does not exist (404)."""
    found = an_id(value)
    if found is None:
        raise ApiProblem(404)
    return found
