"""`python -m services.notification_service`: serve the notification service with uvicorn.

One process: its feed consumer keeps one position, so a second worker would only contend for it.
"""

from __future__ import annotations

import argparse
import os

from shared.serve import ServeOptions, serve


def main() -> None:
    parser = argparse.ArgumentParser(description="Run the CARA notification service.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--log-level", default="info")
    parser.add_argument("--no-access-log", dest="access_log", action="store_false")
    args = parser.parse_args()
    serve(ServeOptions("services.notification_service.main:create_app", service="notification-service",
                       environment=os.environ.get("CARA_NOTIFY_ENVIRONMENT", "development"),
                       host=args.host, port=args.port, log_level=args.log_level, access_log=args.access_log))


if __name__ == "__main__":
    main()
