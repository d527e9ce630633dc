"""`python -m services.caution_service`: serve the caution service with uvicorn."""

from __future__ import annotations

import argparse

import uvicorn


def main() -> None:
    parser = argparse.ArgumentParser(description="Run the CARA caution service.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    uvicorn.run(
        "services.caution_service.main:create_app", factory=True,
        host=args.host, port=args.port, workers=args.workers, log_level="info",
    )


if __name__ == "__main__":
    main()
