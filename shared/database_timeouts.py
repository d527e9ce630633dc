"""Bounds on how long a PostgreSQL connection attempt and a statement may take.

Without them a stopped or frozen server holds every request that touches it for as long as it stays so,
and a lock held elsewhere holds them for as long as it is held: threads and connections run out, and
callers get nothing, not even a 503 to retry on. The connect timeout is libpq's (`connect_timeout`, whole
seconds, enforced by the client); the statement timeout is the server's (`statement_timeout`, sent as a
start-up option, so it costs no round trip). The server enforces the latter, so it bounds slow queries and
lock waits but not a server that has stopped answering on a connection already open: that needs the
connect timeout on the next connection, once the pool has dropped the broken one.

Both are written into the URL, beside any options it already has (a test's `search_path`), because the
event store's engine is made by the eventsourcing library from a URL alone.
"""

from __future__ import annotations

import math

from sqlalchemy.engine import make_url


def with_timeouts(url: str, connect_seconds: float, statement_seconds: float) -> str:
    """`url` with the timeouts added when it names PostgreSQL; any other URL as given. 0 leaves one unset."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        return url
    query = dict(parsed.query)
    if connect_seconds > 0:
        query["connect_timeout"] = str(max(2, math.ceil(connect_seconds)))  # libpq reads 1 as 2 anyway
    if statement_seconds > 0:
        given = query.get("options", "")
        options = " ".join(given) if isinstance(given, tuple) else given
        query["options"] = f"{options} -c statement_timeout={round(statement_seconds * 1000)}".strip()
    return parsed.set(query=query).render_as_string(hide_password=False)
