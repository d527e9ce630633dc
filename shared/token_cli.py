"""`make token ROLE=police FORCE=F1`: print a bearer token the locally run services accept."""

from __future__ import annotations

import argparse
import os

from .auth import DEFAULT_AUDIENCE, DEFAULT_ISSUER, DEV_JWT_SECRET, Role, mint_token


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--role", required=True, choices=[r.value for r in Role])
    parser.add_argument("--force", required=True, help="force code, e.g. CAMBS")
    parser.add_argument("--subject", help="the user or system id recorded as recorded_by.id")
    parser.add_argument("--ttl", type=int, default=8 * 3600, help="lifetime in seconds")
    args = parser.parse_args()
    print(
        mint_token(
            os.environ.get("CARA_JWT_SECRET", DEV_JWT_SECRET),
            role=Role(args.role),
            force=args.force,
            issuer=os.environ.get("CARA_JWT_ISSUER", DEFAULT_ISSUER),
            audience=os.environ.get("CARA_JWT_AUDIENCE", DEFAULT_AUDIENCE),
            subject=args.subject,
            ttl_seconds=args.ttl,
        )
    )


if __name__ == "__main__":
    main()
