"""The court certificate's electronic signature (PAdES, with pyHanko): any PDF reader shows whether it was altered.

The key and its certificate chain come from configuration (CARA_CERTIFICATE_SIGNING_KEY_FILE and
CARA_CERTIFICATE_SIGNING_CHAIN_FILE); production refuses to start without them (config.py). Elsewhere a development
pair is made on first use: self-signed, its subject saying it is a development certificate not for court use, kept
under var/ for `make run` (one pair across restarts) and in memory for tests.
"""

from __future__ import annotations

import io
import logging
import os
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pyhanko.keys import load_certs_from_pemder_data, load_private_key_from_pemder_data
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko.sign.signers import SimpleSigner
from pyhanko_certvalidator.registry import SimpleCertificateStore

from .config import Settings

log = logging.getLogger("cara.signing")

DEVELOPMENT_SUBJECT = "CARA development certificate - NOT FOR COURT USE"
SIGNATURE_FIELD = "CARA-certificate-signature"
KEY_FILE, CHAIN_FILE = "signing-key.pem", "signing-chain.pem"


class SigningConfigurationError(RuntimeError):
    """The configured key or chain cannot be used to sign (unreadable, not PEM, or the key is not the certificate's)."""


def sign_pdf(pdf: bytes, signer: SimpleSigner, *, reason: str | None = None, location: str | None = None) -> bytes:
    """The PDF with one PAdES baseline signature over the whole file as given (an incremental update)."""
    meta = signers.PdfSignatureMetadata(
        field_name=SIGNATURE_FIELD, md_algorithm="sha256", subfilter=fields.SigSeedSubFilter.PADES,
        reason=reason, location=location,
    )
    signed = signers.sign_pdf(IncrementalPdfFileWriter(io.BytesIO(pdf)), meta, signer=signer)
    return bytes(signed.getvalue())


def load_signer(key_pem: bytes, chain_pem: bytes, passphrase: bytes | None = None) -> SimpleSigner:
    """A signer from PEM: the private key, and the chain with the signing certificate first."""
    try:
        key = load_private_key_from_pemder_data(key_pem, passphrase)
        chain = list(load_certs_from_pemder_data(chain_pem))
    except (ValueError, TypeError) as e:
        raise SigningConfigurationError(f"the certificate signing key or chain cannot be read: {e}") from None
    if not chain:
        raise SigningConfigurationError("the certificate signing chain file holds no certificate")
    public = serialization.load_der_private_key(key.dump(), None).public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    if public != chain[0].public_key.dump():
        raise SigningConfigurationError(
            "the certificate signing key is not the key of the chain's first certificate (the signing certificate "
            "must come first)")
    return SimpleSigner(signing_cert=chain[0], signing_key=key, cert_registry=SimpleCertificateStore.from_certs(chain))


def subject_name(signer: SimpleSigner) -> str:
    """Who the signing certificate names: its common name, or its whole subject when it has none."""
    certificate = signer.signing_cert
    assert certificate is not None  # load_signer always sets it
    subject = certificate.subject
    common = subject.native.get("common_name")
    return str(common) if common else str(subject.human_friendly)


def is_development(signer: SimpleSigner) -> bool:
    return subject_name(signer) == DEVELOPMENT_SUBJECT


def development_pair(now: datetime | None = None) -> tuple[bytes, bytes]:
    """A new self-signed ECDSA P-256 key and certificate (PEM), its subject naming it not for court use."""
    now = now or datetime.now(UTC)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, DEVELOPMENT_SUBJECT),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "CARA compliance tracker (development)")])
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=3 * 365))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                     crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    return key_pem, certificate.public_bytes(serialization.Encoding.PEM)


def development_signer(directory: Path | None) -> SimpleSigner:
    """The development pair kept in `directory` (made there on first use), or a new one in memory when None or
    when the directory cannot be written (a read-only container)."""
    if directory is None:
        return load_signer(*development_pair())
    key_file, chain_file = directory / KEY_FILE, directory / CHAIN_FILE
    if not (key_file.exists() and chain_file.exists()):
        try:
            _write_pair(directory, *development_pair())
        except OSError as e:
            log.warning("cannot keep the development signing pair in %s (%s): one is kept in memory", directory, e)
            return load_signer(*development_pair())
        log.warning("made a development certificate signing pair in %s: NOT FOR COURT USE", directory)
    return load_signer(key_file.read_bytes(), chain_file.read_bytes())


def _write_pair(directory: Path, key_pem: bytes, cert_pem: bytes) -> None:
    """Each file written whole under a temporary name, then renamed: two processes starting at once never read half
    a key (the second rename wins, with a matching pair, as the chain is renamed after its key)."""
    directory.mkdir(parents=True, exist_ok=True)
    suffix = f".{os.getpid()}.{threading.get_ident()}.tmp"
    for name, content in ((KEY_FILE, key_pem), (CHAIN_FILE, cert_pem)):
        partial = directory / (name + suffix)
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as out:
            out.write(content)
        partial.replace(directory / name)


_cached: dict[tuple[str | None, ...], SimpleSigner] = {}
_lock = threading.Lock()


def signer_for(settings: Settings) -> SimpleSigner:
    """The signer the settings name, loaded once per process: the configured pair when set, else (never in
    production: config.py refuses to start) the development pair."""
    where = (settings.environment, settings.certificate_signing_key_file, settings.certificate_signing_chain_file,
             settings.certificate_signing_dev_dir)
    with _lock:
        if where not in _cached:
            _cached[where] = _load(settings)
        return _cached[where]


def require_signer(settings: Settings) -> None:
    """At the API's start: production names its signing pair (config.py) and the pair is usable (read, parsed, the
    key the certificate's), so a mistake stops the start rather than the first certificate a court asks for. Elsewhere
    the development pair is made when first needed."""
    settings.refuse_unsigned_certificates()
    if settings.environment == "production":
        signer_for(settings)


def _load(settings: Settings) -> SimpleSigner:
    if settings.certificate_signing_key_file and settings.certificate_signing_chain_file:
        passphrase = settings.certificate_signing_key_passphrase
        try:
            key_pem = Path(settings.certificate_signing_key_file).read_bytes()
            chain_pem = Path(settings.certificate_signing_chain_file).read_bytes()
        except OSError as e:
            raise SigningConfigurationError(f"cannot read the certificate signing key or chain: {e}") from None
        return load_signer(key_pem, chain_pem, passphrase.encode() if passphrase else None)
    settings.refuse_unsigned_certificates()  # never a development pair in production, whoever calls
    directory = None if settings.environment == "test" else Path(settings.certificate_signing_dev_dir)
    return development_signer(directory)

