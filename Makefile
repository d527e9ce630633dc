# Two commands do all the set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Locked with pip-tools: its lock files are plain requirements files with hashes, so the venv and the
# production image install them with pip alone (`--require-hashes --no-deps`, nothing resolved at
# install time, no extra installer to bootstrap), and pip-compile resolves through pip's own
# configuration. requirements/runtime.lock: the services (the image); requirements/dev.lock: runtime
# plus tests, benchmarks, ruff, mypy and pip-tools (the venv). Regenerate both with `make lock`.
LOCK := requirements/dev.lock
STAMP := $(VENV)/.installed-$(shell cksum < $(LOCK) | cut -d' ' -f1)
export PYTHONPATH := $(CURDIR)

ROLE ?= police
FORCE ?= CAMBS
# `make run CAUTION_PORT=9000 NOTIFY_PORT=9001 WEB_PORT=9002`: read by services/run_local.py (defaults 8000, 8001
# and 8002), which also points the notification service and the web application at the services' ports.

LINTED := services shared tests bench docs

.DEFAULT_GOAL := help
.PHONY: help setup web-assets run test lint typecheck lock token openapi settings-reference certificate-samples bench fuzz projector rebuild migrate rotate-keys master-key relay clean

# The web application's front-end packages (GOV.UK Frontend; axe-core for its browser tests), from package-lock.json.
WEB := services/web
WEB_STAMP := $(WEB)/node_modules/.installed-$(shell cksum < $(WEB)/package-lock.json | cut -d' ' -f1)

$(STAMP): $(LOCK)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes --no-deps -r $(LOCK)
	@rm -f $(VENV)/.installed-*; touch $(STAMP)

help:  ## list the targets (this)
	@awk 'BEGIN {FS = ":[^#]*## "} /^[a-z][a-z-]*:.*## / {printf "  make %-20s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

setup: $(STAMP)  ## create .venv and install the locked dependencies (every target that needs them does this)

$(WEB_STAMP): $(WEB)/package-lock.json
	npm ci --prefix $(WEB) --no-audit --no-fund --loglevel=error
	@rm -f $(WEB)/node_modules/.installed-*; touch $(WEB_STAMP)

web-assets: $(WEB_STAMP)  ## install the web application's locked npm packages (GOV.UK Frontend, axe-core)

lock: setup  ## regenerate requirements/*.lock from pyproject.toml (keeps current pins; UPGRADE=1 to upgrade)
	$(BIN)/pip-compile --quiet --generate-hashes --strip-extras --no-emit-find-links --no-emit-index-url \
		$(if $(UPGRADE),--upgrade) --output-file requirements/runtime.lock pyproject.toml
	$(BIN)/pip-compile --quiet --generate-hashes --strip-extras --no-emit-find-links --no-emit-index-url \
		--allow-unsafe --extra dev --constraint requirements/runtime.lock \
		$(if $(UPGRADE),--upgrade) --output-file requirements/dev.lock pyproject.toml

lint: setup  ## ruff over all the Python code
	$(BIN)/ruff check $(LINTED)

typecheck: setup  ## mypy: strict on the domain and shared/, checked everywhere else (config in pyproject.toml)
	$(BIN)/mypy

run: setup web-assets  ## start the services and the web application: caution :8000, notification :8001, web :8002 (SQLite under var/)
	@mkdir -p var
	$(BIN)/python -m services.run_local

# Two pytest-xdist workers, one per core of the 2-core machines the suite must pass on in 15 minutes; a test
# marked `alone` (timing bounds, fault tests under load) still runs with the machine to itself (tests/worker_cores.py).
# worksteal: the tests' lengths vary from milliseconds to half a minute, so an idle worker takes over queued ones.
test: lint typecheck web-assets  ## ruff, mypy, then the whole test suite (two workers)
	$(BIN)/python -m pytest -n 2 --dist worksteal

token: setup  ## print a development bearer token: make token ROLE=police FORCE=CAMBS
	@$(BIN)/python -m shared.token_cli --role '$(ROLE)' --force '$(FORCE)'

openapi: setup  ## regenerate the committed OpenAPI and AsyncAPI documents
	$(BIN)/python -m services.openapi_documents

settings-reference: setup  ## regenerate docs/settings.md and .env.example from the settings classes
	$(BIN)/python -m services.settings_reference

certificate-samples: setup  ## render a court certificate for each outcome to docs/certificates/*.png (page 1), and complied.pdf signed
	$(BIN)/python -m docs.certificates.make_samples

projector: setup  ## production shape: the projection worker (one active per database, PostgreSQL advisory lock)
	$(BIN)/python -m services.caution_service.worker

rebuild: setup  ## drop the read models and replay the event store caution by caution (PROJECTION=name for one)
	$(BIN)/python -m services.caution_service.rebuild $(if $(PROJECTION),--projection $(PROJECTION))

migrate: setup  ## upgrade both services' databases to their newest migration (the services also do it at start, unless CARA_MIGRATE_AT_START=false)
	@mkdir -p var
	$(BIN)/python -m services.migrate

rotate-keys: setup  ## rewrap every person's data key under the first of CARA_MASTER_KEYS (see README, Personal data)
	$(BIN)/python -m services.caution_service.rotate_keys

master-key: setup  ## print a new master key: make master-key KEY_ID=2027-01
	@$(BIN)/python -m services.caution_service.rotate_keys --generate '$(or $(KEY_ID),$(shell date +%Y-%m))'

relay: setup  ## publish the event feed to NATS JetStream (NATS_URL=nats://host:4222)
	$(BIN)/python -m services.caution_service.relay --nats-url $(or $(NATS_URL),nats://127.0.0.1:4222)

bench: setup  ## throughput and latency benchmarks; figures go to bench/results/
	$(BIN)/python -m bench.commands
	$(BIN)/python -m bench.registers
	$(BIN)/python -m bench.readside
	$(BIN)/python -m bench.rebuild_order
	$(BIN)/python -m bench.notify
	$(BIN)/python -m bench.web_pages

fuzz: setup  ## schemathesis against both services as processes, every phase, valid and invalid tokens (bench/fuzz.py)
	$(BIN)/python -m bench.fuzz

clean:  ## remove .venv, var/ (both services' SQLite databases), the npm packages and the test caches
	rm -rf $(VENV) var .pytest_cache .hypothesis $(WEB)/node_modules test-artifacts
