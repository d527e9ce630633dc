"""The certificate's PAdES signature (signing.py), checked with pyHanko's own validator: intact and valid with the
signing certificate as the trust root, and invalid once any byte of the signed content has changed."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.signers import SimpleSigner
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import PdfSignatureStatus
from pyhanko_certvalidator import ValidationContext
from reportlab.pdfgen.canvas import Canvas

from services.caution_service.config import Settings
from services.caution_service.main import create_app
from services.caution_service.signing import (
    DEVELOPMENT_SUBJECT,
    SigningConfigurationError,
    development_pair,
    development_signer,
    is_development,
    load_signer,
    require_signer,
    sign_pdf,
    signer_for,
    subject_name,
)

WORDS = b"Attended workshop A in full"


def _pdf() -> bytes:
    out = io.BytesIO()
    canvas = Canvas(out, pageCompression=0)  # uncompressed, so the test can find and change a byte of the text
    canvas.drawString(72, 720, WORDS.decode())
    canvas.save()
    return out.getvalue()


def _status(signed: bytes, signer: SimpleSigner) -> PdfSignatureStatus:
    signature = PdfFileReader(io.BytesIO(signed)).embedded_signatures[0]
    return validate_pdf_signature(signature, ValidationContext(trust_roots=[_certificate(signer)]))


def _certificate(signer: SimpleSigner) -> Any:
    assert signer.signing_cert is not None
    return signer.signing_cert


@pytest.fixture(scope="module")
def signer() -> SimpleSigner:
    return development_signer(None)


def test_a_signed_pdf_validates_intact_and_trusted_over_the_whole_file(signer: SimpleSigner) -> None:
    signed = sign_pdf(_pdf(), signer, reason="Compliance certificate", location="Cambridgeshire Constabulary")
    status = _status(signed, signer)
    assert status.intact and status.valid and status.trusted
    assert status.bottom_line
    assert status.coverage is not None and status.coverage.name == "ENTIRE_FILE"
    assert PdfFileReader(io.BytesIO(signed)).embedded_signatures[0].sig_object["/SubFilter"] == "/ETSI.CAdES.detached"


def test_a_changed_byte_in_the_signed_content_makes_it_invalid(signer: SimpleSigner) -> None:
    signed = sign_pdf(_pdf(), signer)
    at = signed.index(WORDS)
    altered = signed[:at] + b"B" + signed[at + 1:]  # "Attended" -> "Bttended": the same length, still a PDF
    status = _status(altered, signer)
    assert not status.intact  # the document's digest no longer matches the one signed
    assert not status.bottom_line  # pyHanko's verdict: not a valid signature of this document


def test_a_signature_by_another_key_is_not_trusted(signer: SimpleSigner) -> None:
    other = development_signer(None)
    status = _status(sign_pdf(_pdf(), other), signer)
    assert status.intact and not status.trusted  # sound, but not by the certificate the court was told to trust


def test_the_development_certificate_says_it_is_not_for_court_use(signer: SimpleSigner) -> None:
    assert subject_name(signer) == DEVELOPMENT_SUBJECT
    assert "NOT FOR COURT USE" in DEVELOPMENT_SUBJECT
    assert is_development(signer)


def test_development_keeps_its_pair_across_restarts(tmp_path: Path) -> None:
    first = development_signer(tmp_path / "signing")
    again = development_signer(tmp_path / "signing")
    assert _certificate(first).dump() == _certificate(again).dump()
    assert oct((tmp_path / "signing" / "signing-key.pem").stat().st_mode & 0o777) == "0o600"


def test_a_configured_pair_is_loaded_and_a_mismatched_one_refused(tmp_path: Path) -> None:
    key, chain = development_pair()
    other_key, _ = development_pair()
    (tmp_path / "key.pem").write_bytes(key)
    (tmp_path / "chain.pem").write_bytes(chain)
    settings = Settings(environment="development", certificate_signing_key_file=str(tmp_path / "key.pem"),
                        certificate_signing_chain_file=str(tmp_path / "chain.pem"))
    loaded = signer_for(settings)
    assert _certificate(loaded).dump() == _certificate(load_signer(key, chain)).dump()
    assert _status(sign_pdf(_pdf(), loaded), loaded).bottom_line
    with pytest.raises(SigningConfigurationError, match="not the key of the chain's first certificate"):
        load_signer(other_key, chain)
    with pytest.raises(SigningConfigurationError, match="cannot be read"):
        load_signer(b"not a key", chain)


PRODUCTION: dict[str, Any] = {"environment": "production", "vault_key": "x" * 44, "master_keys": "2026:" + "A" * 43,
              "national_subscribers": [], "national_commissioners": [],
              "jwt_jwks_url": "https://idp.example/jwks.json", "jwt_algorithms": ["RS256"]}


def test_the_production_api_refuses_to_start_without_a_signing_key_and_chain(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="production needs its own certificate signing key and certificate chain"):
        create_app(Settings(**PRODUCTION, database_url=f"sqlite:///{tmp_path}/c.sqlite3"))
    with pytest.raises(ValueError, match="production needs its own certificate signing key"):
        signer_for(Settings(**PRODUCTION))  # and nothing signs a court's copy with a development pair there
    assert not (tmp_path / "c.sqlite3").exists()  # refused before anything was opened


def test_the_production_api_refuses_an_unusable_pair_at_start(tmp_path: Path) -> None:
    key, chain = development_pair()
    other_key, _ = development_pair()
    (tmp_path / "key.pem").write_bytes(other_key)
    (tmp_path / "chain.pem").write_bytes(chain)
    files: dict[str, Any] = {"certificate_signing_key_file": str(tmp_path / "key.pem"),
             "certificate_signing_chain_file": str(tmp_path / "chain.pem")}
    with pytest.raises(SigningConfigurationError, match="not the key of the chain's first certificate"):
        require_signer(Settings(**PRODUCTION, **files))
    with pytest.raises(SigningConfigurationError, match="cannot read"):
        require_signer(Settings(**PRODUCTION, **{**files, "certificate_signing_key_file": str(tmp_path / "none")}))
    (tmp_path / "key.pem").write_bytes(key)
    require_signer(Settings(**PRODUCTION, **files))  # the right pair: it starts


def test_the_projector_and_relay_settings_need_no_signing_pair_in_production() -> None:
    assert Settings(**PRODUCTION).environment == "production"  # only the API (create_app) signs certificates
