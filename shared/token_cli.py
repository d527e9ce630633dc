"""`make token ROLE=police FORCE=F1`: print a bearer token the locally run services accept."""

from __future__ import annotations

import argparse
import os
import sys

from .auth import (
    DEFAULT_AUDIENCE,
    DEFAULT_ISSUER,
    DEV_JWT_SECRET,
    DEV_NATIONAL_COMMISSIONER,
    DEV_NATIONAL_SUBSCRIBER,
    NATIONAL,
    Role,
    dev_display,
    mint_token,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--role", required=True, choices=[r.value for r in Role])
    parser.add_argument("--force", required=True, help="force code, e.g. CAMBS")
    parser.add_argument("--subject", help="the user or system id recorded as recorded_by.id")
    parser.add_argument("--name", help='the display name recorded with each event, e.g. "Jo Bloggs" (police, '
                                       'provider and victim contact tokens have a development one unless given; '
                                       '"" for none)')
    parser.add_argument("--rank", help='a police officer\'s rank, e.g. "PC" or "Sergeant" ("" for none)')
    parser.add_argument("--collar-number", help='a police officer\'s collar number, e.g. "1234" ("" for none)')
    parser.add_argument("--ttl", type=int, default=8 * 3600,
                        help="lifetime in seconds (the services refuse any token CARA_JWT_MAX_AGE_SECONDS after it "
                             "was issued, 12 h by default, whatever its lifetime)")
    args = parser.parse_args()
    subject = args.subject
    if args.force == NATIONAL:
        # The services would refuse any other such token with 403: say so now, not at the first request.
        if args.role not in (Role.SUBSCRIBER.value, Role.COMMISSIONER.value):
            parser.error(f'force "{NATIONAL}" (every force) is only for the subscriber role, reading the event feed, '
                         'and the commissioner role, reading the outcomes report')
        if subject is None and args.role == Role.COMMISSIONER.value:
            subject = DEV_NATIONAL_COMMISSIONER
            print(f"a national token is admitted only for a subject in CARA_NATIONAL_COMMISSIONERS; this one is "
                  f"{subject!r}, listed by default outside production", file=sys.stderr)
        elif subject is None:
            subject = DEV_NATIONAL_SUBSCRIBER
            print(f"a national token is admitted only for a subject in CARA_NATIONAL_SUBSCRIBERS; this one is "
                  f"{subject!r}, listed by default outside production", file=sys.stderr)
    display = dev_display(Role(args.role), {"name": args.name, "rank": args.rank, "collar_number": args.collar_number})
    print(
        mint_token(
            os.environ.get("CARA_JWT_SECRET", DEV_JWT_SECRET),
            role=Role(args.role),
            force=args.force,
            issuer=os.environ.get("CARA_JWT_ISSUER", DEFAULT_ISSUER),
            audience=os.environ.get("CARA_JWT_AUDIENCE", DEFAULT_AUDIENCE),
            subject=subject,
            ttl_seconds=args.ttl,
            display=display,
        )
    )


if __name__ == "__main__":
    main()
