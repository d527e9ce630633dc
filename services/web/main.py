"""`create_app(settings)`: the web application, assembled (nothing is built at import)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import PlainTextResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from prometheus_client import CollectorRegistry, Gauge

from shared.metrics import RequestMetrics, metrics_endpoint

from . import signin
from .backend import ApiProblem, Backend, ServiceUnavailable
from .config import ASSETS, WebSettings
from .forms import CsrfRefused
from .headers import PageHeaders
from .pages import ROUTERS
from .people import SignInNeeded, WrongRole, signed_in
from .rendering import Pages, landing_page
from .sessions import SessionMiddleware, SessionStore

log = logging.getLogger("cara.web")
STATIC = Path(__file__).resolve().parent / "static"


def create_app(settings: WebSettings | None = None) -> FastAPI:
    settings = settings or WebSettings()
    if not (ASSETS / "govuk-frontend.min.css").is_file():
        raise RuntimeError(f"GOV.UK Frontend is not installed under {ASSETS.parents[2]}: `make run` installs it "
                           "(npm ci --prefix services/web)")
    backend = Backend(settings)
    pages = Pages()
    store = SessionStore(settings.idle_timeout_minutes * 60, settings.max_sessions)
    form_targets: set[str] = set()  # the identity provider's sign-out origin, once its metadata is read

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        await backend.close()

    app = FastAPI(title="CARA web application", docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan)
    app.state.settings, app.state.backend, app.state.pages, app.state.sessions = settings, backend, pages, store
    app.mount("/assets", StaticFiles(directory=ASSETS / "assets"), name="assets")
    app.mount("/static/govuk", StaticFiles(directory=ASSETS), name="govuk")
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.include_router(signin.router(settings, store, pages, form_targets))
    for router in ROUTERS:
        app.include_router(router)
    install_error_pages(app, pages)
    app.add_middleware(SessionMiddleware, store=store, secret=settings.session_secret, secure=settings.production)
    app.add_middleware(PageHeaders, hsts=settings.production, form_targets=form_targets)
    registry = CollectorRegistry()
    Gauge("cara_web_sessions", "Sessions held (signed in or not), idle ones included until they are next looked up",
          registry=registry).set_function(lambda: len(store))
    app.add_route("/metrics", metrics_endpoint(registry), include_in_schema=False)
    app.add_middleware(RequestMetrics, registry=registry)  # outermost: every answer counted, by route template

    @app.get("/", include_in_schema=False)
    async def start(request: Request) -> Response:
        who = signed_in(request)
        if who is not None:
            return RedirectResponse(landing_page(who.role), status_code=303)
        return pages.render(request, "start.html", {"dev_sign_in": settings.dev_sign_in})

    @app.get("/accessibility", include_in_schema=False)
    async def accessibility(request: Request) -> Response:
        return pages.render(request, "accessibility.html")

    @app.get("/cookies", include_in_schema=False)
    async def cookies(request: Request) -> Response:
        return pages.render(request, "cookies.html")

    @app.get("/livez", include_in_schema=False)
    async def livez() -> Response:
        return PlainTextResponse("ok")

    return app


def install_error_pages(app: FastAPI, pages: Pages) -> None:
    @app.exception_handler(SignInNeeded)
    async def sign_in_needed(request: Request, exc: SignInNeeded) -> Response:
        return RedirectResponse("/sign-in", status_code=303)

    @app.exception_handler(WrongRole)
    async def wrong_role(request: Request, exc: WrongRole) -> Response:
        return pages.render(request, "errors/forbidden.html", status=403)

    @app.exception_handler(CsrfRefused)
    async def csrf_refused(request: Request, exc: CsrfRefused) -> Response:
        return pages.render(request, "errors/form_expired.html", status=403)

    @app.exception_handler(ApiProblem)
    async def api_problem(request: Request, exc: ApiProblem) -> Response:
        if exc.status == 401:  # the token ran out or was revoked: sign in again
            request.session.pop("person", None)
            return RedirectResponse("/sign-in", status_code=303)
        template = {403: "errors/forbidden.html", 404: "errors/not_found.html"}.get(exc.status, "errors/problem.html")
        return pages.render(request, template, {"problem": exc}, status=exc.status)

    @app.exception_handler(ServiceUnavailable)
    async def unavailable(request: Request, exc: ServiceUnavailable) -> Response:
        return pages.render(request, "errors/unavailable.html", {"service": exc.service}, status=503,
                            headers={"Retry-After": str(exc.retry_after)})

    @app.exception_handler(404)
    async def not_found(request: Request, exc: Exception) -> Response:
        return pages.render(request, "errors/not_found.html", status=404)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        try:
            return pages.render(request, "errors/unexpected.html", status=500)
        except Exception:  # the page itself failed: still no stack trace to the browser
            return PlainTextResponse("Sorry, there is a problem with the service.", status_code=500)
