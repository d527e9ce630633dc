"""Free text as the services take it: Unicode NFC, and no character that hides or rewrites what is shown.

Offender names with a right-to-left override or a NUL were stored, and printed into the court's PDF: an override
makes "Alex Smith" display as something else, a NUL or other control character can cut a line short or mean
something to the next system, and text in two normal forms compares unequal to itself. So every free-text field of
the request bodies is declared with one of the validators below (see the schemas), and a refusal is the ordinary
422 naming the field.

- `PLAIN_LINE`: names, venues, a preferred contact. No control characters at all.
- `PLAIN_TEXT`: notes, reasons, descriptions, addresses, where line breaks are legitimate: a tab and a line
  break are kept (CR LF and a lone CR become LF); every other control character is refused.
- `PLAIN_CODE`: references and identifiers: as a line, and no zero-width joiner either (which some scripts need
  in a name, and nothing needs in a reference).

All three refuse bidirectional embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069), the invisible
zero-width space, word joiner and byte order mark, and lone surrogates (which no database can store).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, core_schema

# Cc (C0, DEL, C1) and the line and paragraph separators; the bidi controls; the invisible ones; lone surrogates.
_CONTROL = "\x00-\x1f\x7f-\x9f\u2028\u2029"
_CONTROL_BUT_TAB_AND_LF = "\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029"
_BIDI = "\u202a-\u202e\u2066-\u2069"
_INVISIBLE = "\u200b\u2060\ufeff"  # zero-width space, word joiner, byte order mark
_SURROGATE = "\ud800-\udfff"
_JOINERS = "\u200c\u200d"  # zero-width non-joiner and joiner: part of spelling in Persian and Indic scripts
_LINE = f"{_CONTROL}{_BIDI}{_INVISIBLE}{_SURROGATE}"
_CODE = f"{_LINE}{_JOINERS}"
_TEXT = f"{_CONTROL_BUT_TAB_AND_LF}{_BIDI}{_INVISIBLE}{_SURROGATE}"


def _kind(char: str) -> str:
    if "\u202a" <= char <= "\u202e" or "\u2066" <= char <= "\u2069":
        return "a bidirectional override or isolate"
    if char in "\u200b\u2060\ufeff":
        return "an invisible character"
    if char in "\u200c\u200d":
        return "a zero-width joiner"
    if "\ud800" <= char <= "\udfff":
        return "a lone surrogate"
    return "a control character"


@dataclass(frozen=True)
class Plain:
    """A string validator that also documents what it refuses (a `pattern` in the JSON Schema), so generated
    clients and fuzzers send what it takes."""

    refused: str  # a character class body: the characters refused
    breaks: bool = False  # CR LF and a lone CR are read as LF

    def clean(self, value: str) -> str:
        if self.breaks:
            value = value.replace("\r\n", "\n").replace("\r", "\n")
        found = re.search(f"[{self.refused}]", value)
        if found:
            char = found.group()
            raise ValueError(f"must not contain {_kind(char)} (U+{ord(char):04X})")
        return unicodedata.normalize("NFC", value)

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        return core_schema.no_info_after_validator_function(self.clean, handler(source))

    def __get_pydantic_json_schema__(self, schema: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        documented = handler(schema)
        documented["pattern"] = f"^[^{_ecma(self.refused)}]*$"
        return documented


def _ecma(chars: str) -> str:
    """The class body with every character as a \\uXXXX escape, as JSON Schema's (ECMA-262) patterns read them."""
    return "".join(c if c == "-" else f"\\u{ord(c):04x}" for c in chars)


PLAIN_LINE = Plain(_LINE)
PLAIN_TEXT = Plain(_TEXT, breaks=True)
PLAIN_CODE = Plain(_CODE)
