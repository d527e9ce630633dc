"""Police and Crime Commissioner: the outcomes dashboard (GET /v1/reports/outcomes), with its CSV and PDF.

The report counts cautions and holds no one's data (its split by gender withholds small counts), so its filter is
a GET form and the period is in the address: a dashboard can be bookmarked and shared. The downloads are the
caution service's own CSV and PDF, passed through as attachments, so every format shows the same figures.
"""

from __future__ import annotations

import re
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from shared.auth import NATIONAL, Role
from shared.forces import FORCES

from ..backend import ApiProblem, backend_of
from ..forms import FieldErrors
from ..people import Person, role
from . import commissioner_report as shown

router = APIRouter(prefix="/commissioner")
Commissioner = Annotated[Person, Depends(role(Role.COMMISSIONER))]
FILTERS = ("from-month", "from-year", "to-month", "to-year", "by", "force")
# The report's refusals (rule, or query parameter) -> the filter field each is about.
REPORT_FIELDS = {"to:before_from": "to-month", "to:too_far": "from-month", "by:partial_quarter": "by",
                 "query.from": "from-month", "query.to": "to-month", "query.by": "by", "query.force": "force"}
DOWNLOADS = {"csv": ("text/csv", "text/csv; charset=utf-8"), "pdf": ("application/pdf", "application/pdf")}
WORDS = {"percent": shown.percent, "number": shown.number, "split_cell": shown.split_cell, "steps": shown.STEPS,
         "contact_stages": shown.CONTACT_STAGES, "bases": shown.BASES, "genders": shown.GENDERS}
FILENAME = re.compile(r'filename="([A-Za-z0-9._-]+)"')



@router.get("/outcomes")
async def outcomes(request: Request, who: Commissioner) -> Response:
    values = {name: request.query_params.get(name, "").strip() for name in FILTERS}
    values["by"] = values["by"] or "month"
    errors = FieldErrors()
    params = _report_params(values, who, errors)
    report = None
    if not errors:
        try:
            report = (await backend_of(request).caution("GET", "/v1/reports/outcomes", who.token,
                                                      params=params)).json()
        except ApiProblem as problem:
            if problem.status not in (400, 422):
                raise
            errors = FieldErrors.from_problem(problem, REPORT_FIELDS)
    context: dict[str, Any] = {"values": values, "errors": errors, "national": who.force == NATIONAL,
                               "forces": FORCES, **WORDS}
    if report is not None:
        query = urlencode({k: v for k, v in {"from": report["from"], "to": report["to"], "by": report["by"],
                                             "force": params.get("force")}.items() if v})
        context.update(report=report, view=shown.dashboard(report), definitions=report.get("definitions", {}),
                       download_query=query, scope_name=_scope_name(report["scope"]))
    return request.app.state.pages.render(request, "commissioner/outcomes.html", context,
                                          status=400 if errors else 200)


def _report_params(values: dict[str, str], who: Person, errors: FieldErrors) -> dict[str, str | None]:
    """The filter form's fields as the report's query: months "YYYY-MM" (empty: the report's own default, the last
    twelve months), month or quarter, and a force for a national commissioner only."""
    first = _month(values, "from", "start month", errors)
    last = _month(values, "to", "end month", errors)
    if values["by"] not in ("month", "quarter"):
        errors.add("by", "Select by month or by quarter")
    force = values["force"] if who.force == NATIONAL else None
    if force and force not in FORCES:
        errors.add("force", "Select a force from the list")
    return {"from": first, "to": last, "by": values["by"], "force": force or None}


def _month(values: dict[str, str], prefix: str, what: str, errors: FieldErrors) -> str | None:
    month, year = values[f"{prefix}-month"], values[f"{prefix}-year"]
    if not month and not year:
        return None
    if not (month and year):
        errors.add(f"{prefix}-month", f"The {what} must include a month and a year")
        return None
    if not (month.isdigit() and year.isdigit() and 1 <= int(month) <= 12 and 2000 <= int(year) <= 2100):
        errors.add(f"{prefix}-month", f"The {what} must be a real month, like 3 2026")
        return None
    return f"{int(year):04d}-{int(month):02d}"


def _scope_name(scope: str) -> str:
    return "All forces" if scope == "national" else FORCES.get(scope, scope)


@router.get("/outcomes.{kind}")
async def download(request: Request, who: Commissioner, kind: str) -> Response:
    """The report as the caution service writes it in CSV or PDF (chosen by Accept), for the same query, as a file
    to save: the API's own file name, as an attachment (its PDF comes `inline`)."""
    if kind not in DOWNLOADS:
        raise ApiProblem(404)
    accept, media_type = DOWNLOADS[kind]
    params = {name: request.query_params.get(name) for name in ("from", "to", "by", "force")}
    answer = await backend_of(request).caution("GET", "/v1/reports/outcomes", who.token, params=params,
                                             headers={"Accept": accept})
    found = FILENAME.search(answer.headers.get("Content-Disposition", ""))
    filename = found[1] if found else f"outcomes.{kind}"
    return Response(answer.content, media_type=media_type,
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})
