"""`python -m services.web`: serve the web application with uvicorn."""

from __future__ import annotations

import argparse
import os

from shared.serve import ServeOptions, serve


def main() -> None:
    parser = argparse.ArgumentParser(description="Run the CARA web application.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8002)
    parser.add_argument("--workers", type=int, default=1, help="one: sessions are kept in this process's memory")
    parser.add_argument("--log-level", default="info")
    parser.add_argument("--no-access-log", dest="access_log", action="store_false")
    args = parser.parse_args()
    serve(ServeOptions("services.web.main:create_app", service="web", environment=os.environ.get(
        "CARA_WEB_ENVIRONMENT", "development"), host=args.host, port=args.port, workers=args.workers,
        log_level=args.log_level, access_log=args.access_log))


if __name__ == "__main__":
    main()
