"""Pages: Jinja2 with GOV.UK Frontend's macros (govuk-frontend-jinja), every answer `no-store`.

Templates are this application's own (`templates/`) and the Jinja port of GOV.UK Frontend's components
(`govuk_frontend_jinja/...`), whose version follows the npm package the assets come from (package.json).
"""

from __future__ import annotations

import secrets
import uuid
from datetime import date, datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PackageLoader, PrefixLoader, select_autoescape
from markupsafe import Markup

from shared.auth import Role
from shared.uk_time import UK

from .forms import csrf_token
from .people import signed_in

TEMPLATES = Path(__file__).resolve().parent / "templates"
SERVICE_NAME = "CARA compliance"
GOVUK = "govuk_frontend_jinja/components/"

# Each role's pages, in the service navigation: (label, path). The first is where signing in lands.
NAVIGATION: dict[Role, list[tuple[str, str]]] = {
    Role.COURT: [("Find a caution", "/court/search")],
    Role.POLICE: [("Worklist", "/police/worklist"), ("Issue a caution", "/police/cautions/new")],
    Role.PROVIDER: [("Sessions", "/provider/sessions"), ("Worklist", "/provider/worklist")],
    Role.VICTIM_CONTACT: [("Contacts due", "/victim-contact/worklist")],
    Role.COMMISSIONER: [("Outcomes", "/commissioner/outcomes")],
    Role.ADMIN: [("Webhooks", "/admin/webhooks"), ("Consultation log", "/admin/consultations"),
                 ("Personal data", "/admin/personal-data")],
}


FLASH = "flash"  # the session key of the confirmation a write leaves for the page it redirects to


def confirm(request: Request, message: str) -> None:
    """After a write (Post/Redirect/Get): `message` is shown once, as a success banner, on the next page."""
    request.session[FLASH] = message


def landing_page(role: Role) -> str:
    pages = NAVIGATION.get(role)
    return pages[0][1] if pages else "/no-pages"


def uk_day(value: Any) -> str:
    """"5 December 2026": a date, or the UK day of a moment."""
    if value in (None, ""):
        return ""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, datetime):
        value = value.astimezone(UK).date()
    return f"{value.day} {value:%B %Y}"


def uk_moment(value: Any) -> str:
    """"5 December 2026 at 4:30pm" in UK time (GOV.UK style: 12-hour clock, no leading zero)."""
    if value in (None, ""):
        return ""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    local = moment.astimezone(UK)
    hour = local.hour % 12 or 12
    minutes = "" if local.minute == 0 else f":{local.minute:02d}"
    suffix = "am" if local.hour < 12 else "pm"
    if local.hour == 12 and local.minute == 0:
        return f"{uk_day(local)} at midday"
    return f"{uk_day(local)} at {hour}{minutes}{suffix}"


def link(href: str, text: Any, visually_hidden: str = "") -> Markup:
    """A GOV.UK link for a table cell's `html` (escaped: the text may be anything a record holds)."""
    extra = Markup(' <span class="govuk-visually-hidden">{}</span>').format(visually_hidden) if visually_hidden else ""
    return Markup('<a class="govuk-link" href="{}">{}{}</a>').format(href, text, extra)


def words(value: Any) -> str:
    """An API code as words: "workshop_a_attended" -> "Workshop a attended"."""
    text = str(value or "").replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def govuk_macros(env: Environment) -> dict[str, Any]:
    """Every GOV.UK Frontend component's macro by its Nunjucks name (govukButton, ...), for every template."""
    found: dict[str, Any] = {}
    for name in env.list_templates(filter_func=lambda n: n.startswith(GOVUK) and n.endswith("/macro.html")):
        module = env.get_template(name).module
        found.update({k: getattr(module, k) for k in dir(module) if k.startswith("govuk")})
    return found


class Pages:
    def __init__(self) -> None:
        self.env = Environment(
            loader=ChoiceLoader([FileSystemLoader(TEMPLATES),
                                 PrefixLoader({"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja")})]),
            autoescape=select_autoescape(default=True, default_for_string=True),
        )
        self.env.filters.update(uk_day=uk_day, uk_moment=uk_moment, words=words)
        self.env.globals.update(govuk_macros(self.env), link=link)

    def render(self, request: Request, template: str, context: dict[str, Any] | None = None,
               status: int = 200, headers: dict[str, str] | None = None) -> HTMLResponse:
        who = signed_in(request)
        nonce = request.scope.setdefault("csp_nonce", secrets.token_urlsafe(16))
        values = {
            "request": request, "person": who, "serviceName": SERVICE_NAME, "cspNonce": nonce,
            "csrf_token": csrf_token(request), "idempotency_key": str(uuid.uuid4()),
            "navigation": NAVIGATION.get(who.role, []) if who else [], "current_path": request.url.path,
            "flash": request.session.pop(FLASH, None),
            **(context or {}),
        }
        html = self.env.get_template(template).render(values)
        return HTMLResponse(html, status_code=status, headers=headers)
