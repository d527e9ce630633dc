"""GET /v1/reports/outcomes: the Police and Crime Commissioner's outcomes report (issue 19 item 5), as JSON, CSV or
a PDF with charts. reports/outcomes.py defines every figure, the rates and the small-number rule.

Police and admin read their own force's; a commissioner reads their force's, or, with a token for force "*" granted
in CARA_NATIONAL_COMMISSIONERS, every force's together or one named force's. The report counts cautions and holds
no one's data (a split by gender withholds its small counts), so reading it is not a consultation of anyone's data.
"""

from __future__ import annotations

import csv
import io
import re
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response

from shared.auth import NATIONAL, Principal, Role
from shared.auth_deps import allow
from shared.forces import force_name
from shared.openapi import problems
from shared.problems import ProblemError
from shared.uk_time import uk_date

from ..reports import outcomes
from ..reports.pdf import render
from .deps import AppDep

router = APIRouter(prefix="/v1/reports", tags=["reports"])

ReportReader = Annotated[Principal, Depends(allow(Role.POLICE, Role.ADMIN, Role.COMMISSIONER, national=True))]
MONTH = r"^\d{4}-(0[1-9]|1[0-2])$"
MAX_MONTHS = 120
DEFAULT_MONTHS = 12
CSV, PDF = "text/csv", "application/pdf"
CSV_HEADER = ("period", "section", "group", "measure", "value")


def _month(text: str | None) -> tuple[int, int] | None:
    if text is None:
        return None
    if not re.fullmatch(MONTH, text):  # the Query pattern checks it first; this keeps the types honest
        raise ProblemError(422, "validation-failed", "The request is not valid", f"{text!r} is not a month YYYY-MM.")
    return int(text[:4]), int(text[5:])


def _back(month: tuple[int, int], count: int) -> tuple[int, int]:
    index = month[0] * 12 + month[1] - 1 - count
    return index // 12, index % 12 + 1


def _bad_period(detail: str, rule: str) -> ProblemError:
    return ProblemError(422, "validation-failed", "The request is not valid", detail,
                        errors=[{"rule": rule, "message": detail}])


@router.get(
    "/outcomes",
    operation_id="getOutcomesReport",
    responses={**problems(401, 403, 422),
               200: {"content": {"application/json": {}, CSV: {}, PDF: {}},
                     "description": "The report: JSON, or CSV or PDF as `Accept` asks"}},
)
async def outcomes_report(
    request: Request,
    principal: ReportReader,
    app: AppDep,
    first: Annotated[str | None, Query(alias="from", pattern=MONTH,
                                       description="First cohort month (YYYY-MM, included); default: 11 months "
                                                   "before `to`.")] = None,
    last: Annotated[str | None, Query(alias="to", pattern=MONTH,
                                      description="Last cohort month (YYYY-MM, included); default: this UK month.")]
    = None,
    by: Literal["month", "quarter"] = "month",
    force: Annotated[str | None, Query(min_length=1, max_length=64,
                                       description="A commissioner with the national grant: one force's report "
                                                   "(default: every force together). Others: their own force only.")]
    = None,
) -> Response:
    """Cohort outcomes per period (cautions by the UK month they were issued): completed, breached by outcome,
    withdrawn, out of time and open; completion and breach rates of those closed and of the cohort; splits by legal
    basis and by gender (counts of 1 to 4 by gender withheld: null with `suppressed: true`); median and 90th
    percentile days to first contact, to workshop A and to completion; victim-contact outcomes; safeguarding
    concerns and their acknowledgement times; sessions held and their fill rate. `definitions` in the answer says
    how each is counted.

    `Accept: text/csv` gives one figure per row (period, section, group, measure, value; "<5" where withheld);
    `Accept: application/pdf` a report with charts for a board paper."""
    scope = _scope(principal, force)
    today = uk_date(request.app.state.clock())
    to_month = _month(last) or (today.year, today.month)
    from_month = _month(first) or _back(to_month, DEFAULT_MONTHS - 1)
    if to_month < from_month:
        raise _bad_period("`to` is before `from`.", "to:before_from")
    months = (to_month[0] - from_month[0]) * 12 + to_month[1] - from_month[1] + 1
    if months > MAX_MONTHS:
        raise _bad_period(f"A report covers at most {MAX_MONTHS} months; this asks for {months}.", "to:too_far")
    if by == "quarter" and ((from_month[1] - 1) % 3 or to_month[1] % 3):
        raise _bad_period("By quarter, `from` must be a quarter's first month (01, 04, 07, 10) and `to` a quarter's "
                          "last (03, 06, 09, 12), so that no quarter is counted in part.", "by:partial_quarter")
    chosen = outcomes.periods(from_month, to_month, by)
    answer = await run_in_threadpool(outcomes.report, app.engine, scope, chosen, by)
    accept = request.headers.get("accept", "")
    if PDF in accept:
        names = request.app.state.settings.force_names
        title = "All forces" if scope is None else force_name(scope, names)
        body = await run_in_threadpool(render, answer, title, request.app.state.clock())
        return Response(body, media_type=PDF, headers={
            "Content-Disposition": f'inline; filename="outcomes-{answer["from"]}-{answer["to"]}.pdf"'})
    if CSV in accept:
        return Response(_csv(answer), media_type="text/csv; charset=utf-8", headers={
            "Content-Disposition": f'attachment; filename="outcomes-{answer["from"]}-{answer["to"]}.csv"'})
    return JSONResponse(answer)


def _scope(principal: Principal, force: str | None) -> str | None:
    """The force the report is of (None: every force). Only a granted national token chooses; anyone else gets their
    own force, and naming another is refused rather than quietly answered with their own."""
    if principal.force == NATIONAL:  # admitted by `allow` only with the grant
        return force
    if force is not None and force != principal.force:
        raise ProblemError(403, "forbidden", "Not allowed for this role",
                           "You may read only your own force's report; a national commissioner may name a force.")
    return principal.force


def _csv(answer: dict[str, Any]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")  # RFC 4180
    writer.writerow(CSV_HEADER)
    writer.writerows(outcomes.flat_rows(answer))
    return out.getvalue()
