"""`make rotate-keys`: rewrap every person's data key under the current master key (the first in CARA_MASTER_KEYS).

Rotating a master key: put the new key first in CARA_MASTER_KEYS and keep the old one after it, deploy,
run this, then drop the old key from the setting. Sealed personal data is not touched, only the data keys'
wrapping, so it takes seconds even for a national store. Safe to run again: a key already under the
current master is left alone.
"""

from __future__ import annotations

import argparse
import sys

from pydantic import ValidationError
from sqlalchemy import create_engine

from shared.keyring import KeyRing, KeyUnavailable, MasterKeys

from .config import Settings
from .migrations import migrate


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--generate", metavar="KEY_ID", help="print a new master key with this id, and rotate nothing")
    args = parser.parse_args(argv)
    if args.generate:
        print(MasterKeys.generate(args.generate))
        return 0
    try:
        settings = Settings()
    except ValidationError as e:
        print("cannot rotate: " + "; ".join(str(error["msg"]) for error in e.errors()), file=sys.stderr)
        return 2
    engine = create_engine(settings.database_url)
    try:
        migrate(engine)
        masters = settings.master()
        rewrapped = KeyRing(engine, masters).rotate()
    except KeyUnavailable as e:
        print(f"cannot rotate: {e}; give every master key in use in CARA_MASTER_KEYS", file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    print(f"{rewrapped} data keys rewrapped under master key {masters.current}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
