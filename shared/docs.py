"""Interactive API documentation that works without the internet, and the pages problem types resolve to.

FastAPI's own /docs and /redoc load Swagger UI and ReDoc from a CDN: on a police network without internet access
they were blank pages. Here both are served from this origin: the scripts and styles from the fastapi-offline
package (`/docs-static/`), Swagger UI's start-up from a file of ours (no inline script), so the pages run under a
Content-Security-Policy of `script-src 'self'` (see DOCS_CSP for all they need).

Links are relative (`openapi.json`, `docs-static/...`) so the pages also work behind a proxy that serves the
service under a path prefix.
"""

from __future__ import annotations

import html
from pathlib import Path

import fastapi_offline
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.staticfiles import StaticFiles

from .problem_types import PROBLEM_TYPES
from .problems import ProblemError

PACKAGE_ASSETS = Path(fastapi_offline.__file__).parent / "static"
OWN_ASSETS = Path(__file__).parent / "docs_assets"
STATIC = "/docs-static"

# What the documentation pages need of a Content-Security-Policy: scripts and styles from this origin; Swagger UI
# and ReDoc set inline style attributes, show data: images, ReDoc starts a web worker from a blob:, and "Try it
# out" calls this origin.
DOCS_CSP = ("default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
            "font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; base-uri 'none'; "
            "form-action 'none'; frame-ancestors 'none'")

_SWAGGER = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title}: API</title>
<link rel="icon" type="image/png" href="docs-static/favicon.png">
<link rel="stylesheet" href="docs-static/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="docs-static/swagger-ui-bundle.js"></script>
<script src="docs-static/swagger-init.js" data-openapi-url="openapi.json"></script>
</body>
</html>
"""

_REDOC = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title}: API reference</title>
<link rel="icon" type="image/png" href="docs-static/favicon.png">
</head>
<body>
<redoc spec-url="openapi.json"></redoc>
<script src="docs-static/redoc.standalone.js"></script>
</body>
</html>
"""


class _Assets(StaticFiles):
    """The package's files, and ours beside them (Swagger UI's start-up script)."""

    def __init__(self) -> None:
        super().__init__(directory=PACKAGE_ASSETS)
        self.all_directories = [OWN_ASSETS, PACKAGE_ASSETS]


def install_docs(app: FastAPI) -> None:
    """/docs (Swagger UI), /redoc (ReDoc) and /problems/<slug>. The app is created with docs_url=None and
    redoc_url=None, so FastAPI's CDN pages are not there."""
    title = html.escape(app.title)
    app.mount(STATIC, _Assets(), name="docs-static")

    async def swagger(request: Request) -> Response:
        return HTMLResponse(_SWAGGER.format(title=title))

    async def redoc(request: Request) -> Response:
        return HTMLResponse(_REDOC.format(title=title))

    app.add_route("/docs", swagger, include_in_schema=False)
    app.add_route("/redoc", redoc, include_in_schema=False)
    app.add_api_route("/problems", problem_index, include_in_schema=False)
    app.add_api_route("/problems/{slug}", problem_page, include_in_schema=False)


def _wants_html(request: Request) -> bool:
    return "text/html" in request.headers.get("accept", "")


async def problem_index(request: Request) -> Response:
    """Every problem type, as a list (JSON) or a page of links (HTML)."""
    if not _wants_html(request):
        return JSONResponse({"items": [kind.public(slug) for slug, kind in PROBLEM_TYPES.items()]})
    items = "\n".join(f'<li><a href="problems/{slug}">{html.escape(kind.title)}</a> ({slug})</li>'
                      for slug, kind in PROBLEM_TYPES.items())
    return HTMLResponse(_page("Problem types", f"<ul>\n{items}\n</ul>"))


async def problem_page(request: Request, slug: str) -> Response:
    """One problem type: its title, the statuses it comes with, when it happens and what to do."""
    kind = PROBLEM_TYPES.get(slug)
    if kind is None:
        raise ProblemError(404, "not-found", "No such problem type", "See /problems for every type.")
    if not _wants_html(request):
        return JSONResponse(kind.public(slug))
    statuses = ", ".join(str(s) for s in kind.statuses)
    body = (f"<p>HTTP status: {statuses}. Type: <code>/problems/{html.escape(slug)}</code></p>\n"
            f"<h2>When it happens</h2>\n<p>{html.escape(kind.when)}</p>\n"
            f"<h2>What to do</h2>\n<p>{html.escape(kind.what_to_do)}</p>\n"
            '<p><a href="../problems">Every problem type</a></p>')
    return HTMLResponse(_page(kind.title, body))


def _page(title: str, body: str) -> str:
    return (f'<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>{html.escape(title)}</title>'
            f"\n</head>\n<body>\n<h1>{html.escape(title)}</h1>\n{body}\n</body>\n</html>\n")
