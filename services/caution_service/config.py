"""Typed settings, read from CARA_* environment variables; no defaults that are unsafe in production."""

from __future__ import annotations

import json
from typing import Literal

from pydantic import BaseModel, Field, field_validator, model_validator
from pydantic_settings import SettingsConfigDict
from sqlalchemy import make_url

from shared.auth import DEV_NATIONAL_COMMISSIONER
from shared.database_timeouts import with_timeouts
from shared.keyring import DEV_MASTER_KEYS, MasterKeys
from shared.retention import RetentionConfig
from shared.settings import ServiceSettings

from .domain.values import STATUTORY_MAX_PERIOD_DAYS, Conditions
from .event_store import TOPIC as EVENT_STORE_TOPIC

DEV_VAULT_KEY = "Y2FyYS1kZXZlbG9wbWVudC12YXVsdC1rZXktMzJiISE="  # base64 of 32 bytes, development only


class ForceConditions(BaseModel):
    caution_period_days: int = Field(16 * 7, ge=1, le=STATUTORY_MAX_PERIOD_DAYS)
    first_contact_days: int = Field(14, ge=1)
    min_days_between_workshops: int = Field(28, ge=1)


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CARA_", extra="ignore")

    # development, test or production: production refuses to start with the development keys and secrets.
    environment: Literal["development", "test", "production"] = "development"
    # The event store and read models: sqlite:///path, or postgresql+psycopg://user:password@host/database.
    database_url: str = "sqlite:///var/caution-service.sqlite3"
    vault_key: str = DEV_VAULT_KEY  # seals victims' contact details in events (vault.py): a Fernet key, base64
    master_keys: str = DEV_MASTER_KEYS  # wrap each person's data key (shared/keyring.py); current first
    # Per force, JSON: {"CAMBS": {"caution_period_days": 112, "first_contact_days": 14,
    # "min_days_between_workshops": 28}}; a force not named, and any part not given, gets those defaults.
    force_conditions: dict[str, ForceConditions] = {}
    max_body_bytes: int = 64 * 1024  # a request body over this is refused with 413 before it is read
    aggregate_cache_size: int = 10_000  # cautions kept in memory between commands (eventsourcing's aggregate cache)
    # Where commands are saved in batches: `auto` is the event loop for SQLite, a thread otherwise (writer.py).
    writer: Literal["auto", "thread", "event-loop"] = "auto"
    # How long a batch may wait for the commands of other clients writing at the time (active_clients.py); 0: never.
    writer_coalesce_ms: float = Field(default=2.0, ge=0, le=50)
    run_projections: bool = True  # embedded default; production API replicas set false and run `make projector`
    # Whether each process upgrades the schema as it starts. Production sets false and connects as a role that
    # may not create tables: `python -m services.migrate`, as the migrator role, upgrades it first, and a process
    # finding the schema behind its code refuses to start (deploy/postgres-init.sql).
    migrate_at_start: bool = True
    projection_poll_seconds: float = 1.0  # how often the projector looks for events when no write woke it
    deadline_check_seconds: float = 60.0  # how often cautions whose period ended open are looked for (deadlines.py)
    # The longest wait between tries after a database or NATS failure (projector, worker, relay): a restart
    # of a few seconds must cost about that much, where doubling without a low cap left read models 20 s behind.
    retry_cap_seconds: float = Field(default=2.0, gt=0, le=30)
    # How long each kind of record is kept, for every force and per force: JSON overrides of the defaults in
    # shared/retention.py; `{}` keeps them all.
    retention: RetentionConfig = RetentionConfig()
    retention_check_seconds: float = 3600.0  # how often the leader looks whether the day's retention run is due
    retention_batch: int = Field(default=500, ge=1)  # rows erased per transaction: locks stay short
    # Force codes to the names a court certificate prints, JSON: {"CAMBS": "Cambridgeshire Constabulary"}. They
    # override and extend the forces of England and Wales that shared/forces.py knows; a code neither knows is
    # printed as the code, with a note.
    force_names: dict[str, str] = {}
    # The court certificate's PAdES signature (services/caution_service/signing.py): the private key (PEM) and the
    # certificate chain (PEM: the signing certificate first, then its issuers). The production API refuses to start
    # without both, or with a key that is not the certificate's; elsewhere a development pair, named as not for court
    # use, is made on first use. Only the API signs: the projector and the relay need neither.
    certificate_signing_key_file: str | None = None
    certificate_signing_chain_file: str | None = None  # PEM: the signing certificate first, then its issuers
    certificate_signing_key_passphrase: str | None = None  # only if the key file is encrypted
    # Where development keeps the pair it makes, so `make run` signs with the same one across restarts (the test
    # environment keeps one in memory, as does development when this cannot be written).
    certificate_signing_dev_dir: str = "var/certificate-signing"
    # JSON list of who may read the outcomes report for every force with a commissioner token for force "*": their
    # subject (`sub`) or OAuth client id (`client_id` or `azp`), as for CARA_NATIONAL_SUBSCRIBERS. Unset: outside
    # production, the development commissioner (`dev-commissioner`); production refuses to start without it (who reads
    # every force's figures is a decision: [] for nobody).
    national_commissioners: list[str] | None = None

    @model_validator(mode="after")
    def refuse_development_secrets_in_production(self) -> Settings:
        self.refuse_development_signing_key()
        if self.environment == "production":
            if self.vault_key == DEV_VAULT_KEY:
                raise ValueError("production needs its own CARA_VAULT_KEY")
            if self.master_keys == DEV_MASTER_KEYS:
                raise ValueError("production needs its own CARA_MASTER_KEYS")
            if self.national_subscribers is None:  # this service serves the feed: who reads it all is a decision
                raise ValueError('production needs CARA_NATIONAL_SUBSCRIBERS: the subjects or client ids allowed to '
                                 'read every force\'s events, e.g. ["notification-service"], or [] for none')
            if self.national_commissioners is None:
                raise ValueError('production needs CARA_NATIONAL_COMMISSIONERS: the subjects or client ids allowed to '
                                 'read the outcomes report for every force, e.g. ["apcc-reports"], or [] for none')
        return self

    def commissioner_grants(self) -> frozenset[str]:
        if self.national_commissioners is not None:
            return frozenset(self.national_commissioners)
        return frozenset() if self.environment == "production" else frozenset({DEV_NATIONAL_COMMISSIONER})

    @field_validator("national_commissioners")
    @classmethod
    def national_commissioners_are_named(cls, value: list[str] | None) -> list[str] | None:
        if value is not None and any(not name.strip() for name in value):
            raise ValueError("a national commissioner must be a subject or client id, not blank")
        return value

    @field_validator("master_keys")
    @classmethod
    def master_keys_are_well_formed(cls, value: str) -> str:
        MasterKeys.parse(value)  # a malformed key is refused at start, never at the first seal
        return value

    def refuse_unsigned_certificates(self) -> None:
        """The API's start-up check (create_app): in production a court certificate is signed with the force's own
        key, never with a development pair, so both files must be named."""
        if self.environment == "production" and not (
                self.certificate_signing_key_file and self.certificate_signing_chain_file):
            raise ValueError("production needs its own certificate signing key and certificate chain: set "
                             "CARA_CERTIFICATE_SIGNING_KEY_FILE and CARA_CERTIFICATE_SIGNING_CHAIN_FILE (PEM); a court "
                             "certificate is signed, and never with a development certificate")

    def master(self) -> MasterKeys:
        return MasterKeys.parse(self.master_keys)

    def conditions_for(self, force: str) -> Conditions:
        chosen = self.force_conditions.get(force, ForceConditions())
        return Conditions(**chosen.model_dump())

    def eventsourcing_env(self) -> dict[str, str]:
        return {
            "PERSISTENCE_MODULE": EVENT_STORE_TOPIC,
            "SQLALCHEMY_URL": with_timeouts(self.database_url, self.database_connect_timeout_seconds,
                                            self.database_statement_timeout_seconds),
            "AGGREGATE_CACHE_MAXSIZE": str(self.aggregate_cache_size),
        }

    def describe(self) -> str:
        safe = self.model_dump(exclude={"jwt_secret", "vault_key", "jwt_public_key", "master_keys",
                                       "certificate_signing_key_passphrase"})
        safe["database_url"] = make_url(self.database_url).render_as_string(hide_password=True)  # it goes to the log
        return json.dumps(safe, default=str)
