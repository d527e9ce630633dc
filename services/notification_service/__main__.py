"""`python -m services.notification_service`: serve the notification service with uvicorn."""

from __future__ import annotations

import argparse

import uvicorn


def main() -> None:
    parser = argparse.ArgumentParser(description="Run the CARA notification service.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    args = parser.parse_args()
    uvicorn.run("services.notification_service.main:create_app", factory=True, host=args.host, port=args.port)


if __name__ == "__main__":
    main()
