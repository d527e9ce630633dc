"""Check an exported compliance history offline: `python -m shared.history_verifier EXPORT.json [--digest HEX]`.

An export (GET /v1/cautions/{id}/compliance-history/export) holds each entry's content exactly as it was hashed,
with the hash of the entry before it and its own. This recomputes the whole chain from the contents alone: no
service, no token, no network, and nothing but Python's standard library, so anyone can read it, copy this one
file, or write their own from docs/verifying-a-compliance-history.md.

The hash method is defined here, once: the service's history (services/caution_service/projections/entries.py)
imports `canonical_json` and `entry_hash` from this module, so what is hashed when an entry is recorded and what
is recomputed here can never differ.

    hash(entry n) = SHA-256( hash(entry n-1) + canonical JSON of entry n's content ), as lowercase hex
    hash(entry 0) = 64 zeros (GENESIS)
    canonical JSON = keys sorted, separators "," and ":", no spaces, non-ASCII characters as themselves
                     (not \\u escapes), and the text (previous hash, then the JSON) encoded as UTF-8

Exit status: 0 and "intact: N entries, digest HEX" when every entry checks and the digest is the last entry's
hash (and the `--digest` given, such as the one a certificate prints); 1 and what failed first, naming the entry
and how (content changed, link broken, missing); 2 when the file is not an export this verifier reads.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import string
import sys
from dataclasses import dataclass
from typing import Any

FORMAT = "cara-compliance-history-export"
FORMAT_VERSION = 1
GENESIS = "0" * 64
HASH_METHOD = (
    "Each entry's hash is the SHA-256, as 64 lowercase hexadecimal digits, of the UTF-8 encoding of the previous "
    "entry's hash followed by the entry's content as canonical JSON: object keys sorted, separators ',' and ':' "
    "with no spaces, and non-ASCII characters written as themselves, not escaped. The first entry's previous hash "
    "is 64 zeros. The digest is the last entry's hash (64 zeros when there is no entry)."
)

# Built once: json.dumps builds a new encoder on every call that passes options (the service hashes every entry).
canonical_json = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode


def entry_hash(content: dict[str, Any], previous_hash: str) -> str:
    """The entry's hash: SHA-256 of the previous hash followed by the content's canonical JSON, UTF-8 encoded."""
    return hashlib.sha256((previous_hash + canonical_json(content)).encode("utf-8")).hexdigest()


class NotAnExport(Exception):
    """The file is not a compliance-history export this verifier reads (unreadable, or another format)."""


@dataclass(frozen=True)
class Outcome:
    intact: bool
    entries: int  # how many entries were checked and found good
    digest: str  # the digest recomputed from the contents (of the good entries, when not intact)
    failed_entry: int | None = None  # the first entry that fails (None when it is the digest that fails)
    event_type: str | None = None  # that entry's event type, when it states one
    problem: str | None = None

    def report(self) -> str:
        if self.intact:
            return f"intact: {self.entries} entries, digest {self.digest}"
        if self.failed_entry is None:
            return f"NOT INTACT: {self.problem}"
        kind = f" ({self.event_type})" if self.event_type else ""
        return f"NOT INTACT: entry {self.failed_entry}{kind}: {self.problem}"


def normalise_digest(text: str) -> str:
    """A digest as typed from a certificate: spaces, line breaks and colons between groups of digits are ignored."""
    return "".join(c for c in text if c not in string.whitespace + ":").lower()


def verify_export(document: Any, expected_digest: str | None = None) -> Outcome:
    """Recompute the chain of an export: numbering, each link, each content, then the digest (and `expected_digest`).

    Stops at the first entry that fails: from there on the record is not what was recorded."""
    header, items = _read(document)
    previous = GENESIS
    for number, item in enumerate(items, start=1):
        content = item["content"]
        numbered = content.get("entry") == number
        problem = _numbering(content.get("entry"), number) if not numbered else _entry_problem(
            header["caution_id"], item, number, previous)
        if problem is not None:
            kind = content.get("event_type") if numbered and isinstance(content.get("event_type"), str) else None
            return Outcome(False, number - 1, previous, number, kind, problem)
        previous = item["hash"]
    count = len(items)
    stated_count = header.get("entry_count")
    if isinstance(stated_count, int) and stated_count > count:
        return Outcome(False, count, previous, count + 1, None,
                       f"missing: the export says it holds {stated_count} entries, and it has only {count}")
    if isinstance(stated_count, int) and stated_count < count:
        return Outcome(False, stated_count, previous, stated_count + 1, None,
                       f"added: the export says it holds {stated_count} entries, and it has {count}")
    if normalise_digest(header["digest"]) != previous:
        return Outcome(False, count, previous, None, None,
                       f"digest does not match: the export states {header['digest']}, but its entries chain to "
                       f"{previous} (entries were removed from its end, or the digest was altered)")
    if expected_digest is not None and normalise_digest(expected_digest) != previous:
        return Outcome(False, count, previous, None, None,
                       f"digest does not match: the entries chain to {previous}, not to the digest given, "
                       f"{normalise_digest(expected_digest)}: this is not the history that digest states")
    return Outcome(True, count, previous)


def _numbering(found: Any, number: int) -> str:
    """Why the entry in place `number` is not entry `number`."""
    if isinstance(found, int) and not isinstance(found, bool) and found > number:
        return (f"missing: the entry after entry {number - 1} is numbered {found}" if number > 1
                else f"missing: the first entry is numbered {found}")
    return f"out of order: the entry in place {number} is numbered {found!r}"


def _entry_problem(caution_id: str, item: dict[str, Any], number: int, previous: str) -> str | None:
    """What is wrong with a correctly numbered entry whose predecessor's hash is `previous`, if anything."""
    content = item["content"]
    if content.get("caution_id") != caution_id:
        return f"content changed: it names caution {content.get('caution_id')!r}, not the export's caution {caution_id}"
    if item["previous_hash"] != previous:
        before = "64 zeros, as the first entry" if number == 1 else f"entry {number - 1}'s hash, {previous}"
        return f"link broken: its previous_hash {item['previous_hash']} is not {before}"
    recomputed = entry_hash(content, previous)
    if recomputed != item["hash"]:
        return f"content changed: its content hashes to {recomputed}, not to the hash recorded with it, {item['hash']}"
    return None


def _read(document: Any) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    if not isinstance(document, dict):
        raise NotAnExport("the file holds no JSON object")
    if document.get("format") != FORMAT:
        raise NotAnExport(f"format is {document.get('format')!r}, not {FORMAT!r}")
    if document.get("format_version") != FORMAT_VERSION:
        raise NotAnExport(f"format_version {document.get('format_version')!r} is not one this verifier reads "
                          f"({FORMAT_VERSION})")
    for key in ("caution_id", "digest"):
        if not isinstance(document.get(key), str):
            raise NotAnExport(f"the header has no {key}")
    items = document.get("entries")
    if not isinstance(items, list):
        raise NotAnExport("there is no list of entries")
    for index, item in enumerate(items, start=1):
        if not (isinstance(item, dict) and isinstance(item.get("content"), dict)
                and isinstance(item.get("previous_hash"), str) and isinstance(item.get("hash"), str)):
            raise NotAnExport(f"item {index} of the entries is not an object with content, previous_hash and hash")
    return document, items


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m shared.history_verifier",
        description="Check a CARA compliance-history export offline: every entry's hash, the numbering, each link "
                    "to the entry before, and the digest.")
    parser.add_argument("export", help="the export file (JSON), as GET .../compliance-history/export gave it")
    parser.add_argument("--digest", help="the digest to expect, e.g. as printed on the certificate")
    args = parser.parse_args(argv)
    try:
        with open(args.export, encoding="utf-8") as f:
            document = json.load(f)
        outcome = verify_export(document, args.digest)
    except (OSError, UnicodeDecodeError, ValueError, NotAnExport) as e:
        print(f"cannot check {args.export}: {e}", file=sys.stderr)
        return 2
    print(outcome.report())
    return 0 if outcome.intact else 1


if __name__ == "__main__":
    sys.exit(main())
