"""Unknown query parameters are refused (400), naming them, on every route of both services.

A filter misspelt or unsupported (`?name=`, `?month=`, `?format=csv`) was ignored, and the caller got the whole
unfiltered list as if it were the answer to the question asked. What a route takes is what it declares (its own
query parameters and those of its dependencies), so the check needs no list of its own to keep up to date.
"""

from __future__ import annotations

from fastapi import Depends, Request, params
from fastapi.dependencies.utils import get_flat_params
from starlette.routing import BaseRoute

from .problems import ProblemError

_NAMES = "_cara_query_names"  # kept on the route: routes are compared by value (unhashable), and die with their app
SHOWN_NAMES, SHOWN_NAME_LENGTH = 10, 64  # of what the caller sent: enough to see the mistake, not an echo chamber


def declared_query(route: BaseRoute) -> tuple[frozenset[str], list[str]]:
    """The query parameter names a route (or any of its dependencies) declares, and those it documents (a name
    declared only to be refused with its own answer is not offered); computed once per route."""
    names: tuple[frozenset[str], list[str]] | None = getattr(route, _NAMES, None)
    if names is None:
        dependant = getattr(route, "dependant", None)
        fields = [f for f in (get_flat_params(dependant) if dependant is not None else [])
                  if isinstance(f.field_info, params.Query)]
        names = (frozenset(f.alias for f in fields),
                 sorted({f.alias for f in fields if getattr(f.field_info, "include_in_schema", True)}))
        setattr(route, _NAMES, names)
    return names


async def refuse_unknown_query(request: Request) -> None:
    if not request.scope.get("query_string"):
        return
    route = request.scope.get("route")
    if route is None:
        return
    declared, takes = declared_query(route)
    unknown = sorted(set(request.query_params.keys()) - declared)
    if unknown:
        shown = [name[:SHOWN_NAME_LENGTH] for name in unknown[:SHOWN_NAMES]]
        raise ProblemError(
            400, "unknown-query-parameter", "Unknown query parameter",
            f"This route does not take {', '.join(shown)}"
            + (f"; it takes {', '.join(takes)}." if takes else "; it takes no query parameters."),
            parameters=shown,
        )


STRICT_QUERY = Depends(refuse_unknown_query)
