"""The offline verifier (`python -m shared.history_verifier EXPORT.json [--digest HEX]`, issue 17 item 7): an export
from the real service verifies; one byte changed in any entry is found and that entry named; an entry removed,
reordered or re-hashed is found; a digest that is not the chain's is refused. It runs with the standard library
alone, and the service hashes with its very definition (so the two cannot drift apart)."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from services.caution_service.projections import entries
from shared import history_verifier
from shared.history_verifier import GENESIS, entry_hash, main, verify_export
from tests.caution_fixtures import Steps
from tests.support import auth

ROOT = Path(__file__).resolve().parents[2]
Document = dict[str, Any]


@pytest.fixture(scope="module")
def exported(module_steps: Steps) -> Document:
    """A completed caution's history as the service exports it: 7 entries, one recorded by a named officer and
    one with non-ASCII text (hashed as itself, not as an escape)."""
    s = module_steps
    s.police = auth("police", subject="officer-named", name="Siân O'Brien", rank="PC", collar_number="2231")
    cid = s.completable()["id"]
    assert s.complete(cid, 41).status_code == 200
    response = s.client.get(f"/v1/cautions/{cid}/compliance-history/export", headers=s.court)
    assert response.status_code == 200, response.text
    document: Document = response.json()
    assert document["entry_count"] == 7
    return document


@pytest.fixture
def export(exported: Document) -> Document:
    return copy.deepcopy(exported)


def _file(tmp_path: Path, document: Document, name: str = "export.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(document, ensure_ascii=False, indent=2), encoding="utf-8")
    return path


def _run(*args: str | Path, python: tuple[str, ...] = ("-m", "shared.history_verifier")) -> Any:
    return subprocess.run([sys.executable, *python, *map(str, args)], capture_output=True, text=True, cwd=ROOT,
                          timeout=60)


def test_the_service_hashes_with_the_verifiers_own_definition() -> None:
    assert entries.entry_hash is history_verifier.entry_hash and entries.GENESIS == GENESIS


def test_the_hash_is_the_one_every_stored_entry_was_recorded_with() -> None:
    """Pinned to what the service's own definition gave before the verifier held it (commit 2d5bde2): a hash method
    that changed would break every digest already given to a court. Non-ASCII, a line break and quotes included."""
    content = {"caution_id": "44427c8b-9b66-4ca9-9f36-46c8db8d3507", "entry": 2, "event_type": "WorkshopScheduled",
               "summary": "Workshop A booked for 12 Mar 2026 18:00 at Cambridge Hub — Salle «Ćosić».",
               "occurred_at": "2026-03-03T10:00:00+00:00", "recorded_at": "2026-03-03T10:30:00+00:00",
               "recorded_by": {"id": "provider-7", "role": "provider", "force": "CAMBS"},
               "details": {"booking": {"session_at": "2026-03-12T18:00:00+00:00", "venue": "Cambridge Hub"},
                           "workshop": "A", "note": 'line one\nline "two"'},
               "corrects_entry": None}
    previous = "489c9bec3a59f8287476b49a87ee9a48a736e2f154768d06c799c627519332f5"
    assert entry_hash(content, previous) == "11c27413fa763abc472c4165df72660c04240c625d05e33e36f8e4169c628a93"


def test_an_export_from_the_service_is_intact(export: Document) -> None:
    outcome = verify_export(export, export["digest"])
    assert outcome.intact and outcome.report() == f"intact: 7 entries, digest {export['digest']}"


def test_as_a_command_it_says_so_and_exits_0(tmp_path: Path, export: Document) -> None:
    done = _run(_file(tmp_path, export), "--digest", export["digest"])
    assert (done.returncode, done.stdout, done.stderr) == (0, f"intact: 7 entries, digest {export['digest']}\n", "")


def test_it_needs_nothing_but_the_standard_library(tmp_path: Path, export: Document) -> None:
    """Run as a lone file, isolated (-I) and without site-packages (-S): what a defence expert would copy."""
    done = _run(_file(tmp_path, export), python=("-I", "-S", str(ROOT / "shared" / "history_verifier.py")))
    assert (done.returncode, done.stdout) == (0, f"intact: 7 entries, digest {export['digest']}\n"), done.stderr


def _content(number: int) -> Callable[[Document], dict[str, Any]]:
    return lambda document: document["entries"][number - 1]["content"]


def _one_byte(text: str) -> str:
    """The same text with one character changed (the first digit or letter moved on by one)."""
    for i, c in enumerate(text):
        if c.isalnum():
            changed = "0" if c == "9" else "a" if c == "z" else "A" if c == "Z" else chr(ord(c) + 1)
            return text[:i] + changed + text[i + 1:]
    raise AssertionError(text)


@pytest.mark.parametrize("entry, field", [
    (3, "summary"),
    (1, "summary"),  # the first entry: it has no previous entry to link to
    (4, "occurred_at"),
    (7, "recorded_at"),  # the last entry: its own hash is the digest
    (5, "event_type"),
])
def test_one_byte_changed_in_an_entry_is_found_and_the_entry_named(export: Document, entry: int, field: str) -> None:
    content = _content(entry)(export)
    content[field] = _one_byte(content[field])
    outcome = verify_export(export)
    assert (outcome.intact, outcome.failed_entry, outcome.entries) == (False, entry, entry - 1)
    assert outcome.report().startswith(f"NOT INTACT: entry {entry} (")
    assert "content changed" in outcome.report()


def test_a_changed_detail_or_recorder_is_found(export: Document) -> None:
    details = _content(2)(export)["details"]
    key = sorted(k for k, v in details.items() if isinstance(v, str))[0]
    details[key] = _one_byte(details[key])
    assert verify_export(export).report().startswith("NOT INTACT: entry 2 (WorkshopScheduled): content changed")
    other = copy.deepcopy(export)
    other["entries"][0]["content"]["recorded_by"]["name"] = "Sian O'Brien"  # the accent dropped
    assert verify_export(other).report().startswith("NOT INTACT: entry 1 (CautionIssued): content changed")


def test_a_byte_changed_in_the_file_is_found_by_the_command(tmp_path: Path, export: Document) -> None:
    path = _file(tmp_path, export)
    text = path.read_text(encoding="utf-8")
    where = text.index(export["entries"][5]["content"]["summary"])  # entry 6, as the file spells it
    path.write_text(text[:where] + _one_byte(text[where:where + 40]) + text[where + 40:], encoding="utf-8")
    done = _run(path)
    assert done.returncode == 1
    assert done.stdout.startswith("NOT INTACT: entry 6 (WorkshopBAttended): content changed"), done.stdout


def test_an_entry_rewritten_with_a_fresh_hash_breaks_the_link_of_the_next(export: Document) -> None:
    """Whoever changes an entry and recomputes its hash still cannot make the next entry point at it."""
    forged = export["entries"][2]
    forged["content"]["summary"] = "Workshop A booked for a date nobody was told about."
    forged["hash"] = entry_hash(forged["content"], forged["previous_hash"])
    outcome = verify_export(export)
    assert outcome.failed_entry == 4 and "link broken" in outcome.report(), outcome.report()


def test_a_previous_hash_altered_is_a_broken_link(export: Document) -> None:
    export["entries"][0]["previous_hash"] = "1" * 64
    assert verify_export(export).report().startswith("NOT INTACT: entry 1 (CautionIssued): link broken")


def test_an_entry_removed_from_the_middle_is_named_missing(tmp_path: Path, export: Document) -> None:
    del export["entries"][3]
    outcome = verify_export(export)
    assert outcome.failed_entry == 4 and outcome.report() == (
        "NOT INTACT: entry 4: missing: the entry after entry 3 is numbered 5")
    assert _run(_file(tmp_path, export)).returncode == 1


def test_entries_removed_from_the_end_are_found(export: Document) -> None:
    digest = export["digest"]
    del export["entries"][-1]
    assert verify_export(export).report().startswith("NOT INTACT: entry 7: missing: the export says it holds 7")
    export["entry_count"] = 6
    assert verify_export(export).report().startswith("NOT INTACT: digest does not match")
    export["digest"] = export["entries"][-1]["hash"]  # a consistent, shorter export: only the digest given shows it
    assert verify_export(export).intact
    assert "not the history that digest states" in verify_export(export, digest).report()


def test_entries_out_of_order_are_found(export: Document) -> None:
    export["entries"][2], export["entries"][3] = export["entries"][3], export["entries"][2]
    assert verify_export(export).report().startswith("NOT INTACT: entry 3: missing: the entry after entry 2 is "
                                                     "numbered 4")
    export["entries"][3], export["entries"][2] = export["entries"][2], export["entries"][3]
    export["entries"].insert(3, copy.deepcopy(export["entries"][2]))  # entry 3 twice
    assert verify_export(export).report() == "NOT INTACT: entry 4: out of order: the entry in place 4 is numbered 3"


def test_an_entry_of_another_caution_is_found(export: Document) -> None:
    export["entries"][1]["content"]["caution_id"] = "00000000-0000-0000-0000-000000000000"
    assert "names caution '00000000-0000-0000-0000-000000000000'" in verify_export(export).report()


def test_a_digest_that_is_not_the_chains_is_refused_and_one_typed_in_groups_is_read(
        tmp_path: Path, export: Document) -> None:
    path = _file(tmp_path, export)
    wrong = _run(path, "--digest", "ab" * 32)
    assert wrong.returncode == 1 and wrong.stdout.startswith("NOT INTACT: digest does not match"), wrong.stdout
    grouped = " ".join(export["digest"][i:i + 8] for i in range(0, 64, 8)).upper()
    assert _run(path, "--digest", grouped).returncode == 0


def test_the_export_s_own_digest_altered_is_found(export: Document) -> None:
    export["digest"] = "cd" * 32
    assert verify_export(export).report().startswith("NOT INTACT: digest does not match: the export states cdcd")


@pytest.mark.parametrize("text, why", [
    ("not json", "cannot check"),
    ('{"format": "something-else"}', "format is 'something-else'"),
    ('{"format": "cara-compliance-history-export", "format_version": 2}', "format_version 2"),
    ('[1, 2]', "no JSON object"),
])
def test_a_file_that_is_no_export_is_refused_with_exit_2(tmp_path: Path, text: str, why: str) -> None:
    path = tmp_path / "other.json"
    path.write_text(text, encoding="utf-8")
    done = _run(path)
    assert done.returncode == 2 and why in done.stderr and done.stdout == "", done


def test_a_missing_file_is_exit_2(tmp_path: Path) -> None:
    assert main([str(tmp_path / "absent.json")]) == 2


def test_an_empty_chain_is_intact_with_the_genesis_digest() -> None:
    document = {"format": "cara-compliance-history-export", "format_version": 1, "caution_id": "c", "digest": GENESIS,
                "entry_count": 0, "entries": []}
    assert verify_export(document).report() == f"intact: 0 entries, digest {GENESIS}"


def test_the_documented_worked_example_is_what_the_verifier_says() -> None:
    """docs/verifying-a-compliance-history.md shows the verifier's real output on docs/sample-history-export.json."""
    guide = (ROOT / "docs" / "verifying-a-compliance-history.md").read_text(encoding="utf-8")
    sample = json.loads((ROOT / "docs" / "sample-history-export.json").read_text(encoding="utf-8"))
    intact = verify_export(sample, "c5f45062 784d9c0c ed8ac03b 8c263444 4821378d c37a6039 2571fe06 71c8b0d8")
    assert intact.intact and f"\n{intact.report()}\n" in guide
    other = verify_export(sample, sample["entries"][1]["hash"]).report()
    assert f"\n{other}\n" in guide
    altered = copy.deepcopy(sample)
    altered["entries"][2]["content"]["occurred_at"] = "2026-03-11T20:00:00+00:00"
    assert f"\n{verify_export(altered).report()}\n" in guide
    del altered["entries"][1]
    assert f"\n{verify_export(altered).report()}\n" in guide
