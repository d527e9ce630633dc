"""A certificate for each outcome a court may be given, rendered to PNG (docs/certificates/make_samples.py drives
each lifecycle through the real HTTP app; `make certificate-samples` writes the committed ones)."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from PIL import Image

from docs.certificates import make_samples
from docs.certificates.make_samples import SAMPLES, Sample


@pytest.fixture(scope="module")
def rendered() -> Iterator[dict[str, bytes]]:
    """Each sample's signed PDF, as a court receives it."""
    with tempfile.TemporaryDirectory() as scratch:
        yield {sample.name: make_samples.certificate(sample, Path(scratch) / f"{sample.name}.sqlite3")
               for sample in SAMPLES}


def _page_one(pdf: bytes) -> str:
    return " ".join(pdfium.PdfDocument(pdf)[0].get_textpage().get_text_range().split())


def test_the_seven_outcomes_are_sampled() -> None:
    assert [s.name for s in SAMPLES] == [
        "complied", "not-complied-after-the-period", "breached-prosecute", "breached-no-further-action", "withdrawn",
        "as-of", "on-a-date"]


@pytest.mark.parametrize("sample", SAMPLES, ids=[s.name for s in SAMPLES])
def test_each_sample_renders_to_a_readable_png(sample: Sample, rendered: dict[str, bytes],
                                               tmp_path: Path) -> None:
    pdf = rendered[sample.name]
    path = tmp_path / f"{sample.name}.png"
    make_samples.page_one_png(pdf, path, scale=0.5)
    image = Image.open(path).convert("L")
    assert image.width < image.height  # A4 portrait
    assert sum(image.histogram()[:250]) > 0.02 * image.width * image.height  # text and table lines, not blank
    text = _page_one(pdf)
    assert f"CARA compliance certificate {sample.reference}, Cambridgeshire Constabulary Page 1 of" in text
    assert "Cambridgeshire Constabulary (force code CAMBS)" in text


@pytest.mark.parametrize("name, words", [
    ("complied", "Verdict: COMPLIED with the conditions"),
    ("not-complied-after-the-period", "The caution period ended on 22 June 2026 without completion."),
    ("not-complied-after-the-period", "Verdict: DID NOT COMPLY with the conditions"),
    ("not-complied-after-the-period", "the police have not yet decided on the breach"),
    ("on-a-date", "Verdict on 22 March 2026: IN PROGRESS"),
    ("on-a-date", "what had happened by the end of 22 March 2026"),
    ("breached-prosecute", "Verdict: DID NOT COMPLY with the conditions"),
    ("breached-prosecute", "Breach decided (prosecute), resting on a rejected excuse: Missed workshop A; the excuse "
                           "was rejected"),
    ("breached-no-further-action", "Breach decided (no further action)"),
    ("withdrawn", "Verdict: WITHDRAWN (the caution was set aside)"),
    ("as-of", "the record as it stood at 21 March 2026, 12:00 GMT"),
])
def test_each_sample_states_its_outcome(name: str, words: str, rendered: dict[str, bytes]) -> None:
    assert words in _page_one(rendered[name])


def test_the_samples_are_written_as_pngs(tmp_path: Path) -> None:
    lines: list[str] = []
    with tempfile.TemporaryDirectory() as scratch:
        written = make_samples.write(SAMPLES[:1], tmp_path, Path(scratch), lines.append)
    assert written == [tmp_path / "complied.png", tmp_path / "complied.pdf"]
    assert Image.open(written[0]).size[0] > 800  # legible: page one at 1.5 times its size
    assert written[1].read_bytes().startswith(b"%PDF") and b"/ByteRange" in written[1].read_bytes()  # signed
    assert lines == [f"wrote {path}" for path in written]
