"""Structured logs for both services: every line, ours, uvicorn's and the libraries', through one formatter.

A line carries its ISO 8601 UTC timestamp, the service, level, logger and event, and while a request is being
answered its ids and its principal (bound per request by shared/http.py RequestIdMiddleware). Production gets one
JSON object a line for its log collector; a developer gets structlog's aligned console lines. The access line is
written by RequestIdMiddleware, with the route template and never the path or query (which may hold an offender's
reference), so uvicorn's own access log is turned off.
"""

from __future__ import annotations

import logging
import logging.config
import sys
from typing import Any, Literal

import structlog
from pydantic_settings import BaseSettings, SettingsConfigDict

from .auth import Principal, TokenVerifier
from .http import bind_principal

ACCESS_LOGGER = "cara.access"
# The fields a stdlib record may carry into a line (`extra=`): the access line's, and no others, so that a
# library's extras (uvicorn's coloured copy of each message, say) never reach the collector.
ACCESS_FIELDS = ("method", "route", "status", "duration_ms")
# Libraries that log every request they make at INFO, with its URL (a webhook receiver's, a query string), and
# alembic's list of the plugins it loads, on every start of every process.
QUIET_LIBRARIES = ("httpx", "httpcore", "alembic.runtime.plugins")


class LogSettings(BaseSettings):
    """Read by both services from the same variables: one log shape for a deployment."""

    model_config = SettingsConfigDict(env_prefix="CARA_LOG_", extra="ignore")

    # `json`: one JSON object a line (production's log collector); `console`: aligned, readable lines for a
    # developer. Unset: `json` when the service's environment is production, `console` otherwise.
    format: Literal["json", "console"] | None = None

    def chosen_format(self, environment: str) -> Literal["json", "console"]:
        if self.format is not None:
            return self.format
        return "json" if environment == "production" else "console"


def _add_service(service: str) -> structlog.types.Processor:
    def add(logger: Any, method: str, event: structlog.types.EventDict) -> structlog.types.EventDict:
        event.setdefault("service", service)
        return event

    return add


def _renderer(log_format: str) -> structlog.types.Processor:
    if log_format == "json":
        return structlog.processors.JSONRenderer()
    # Plain tracebacks: the default (rich, when installed) prints each frame's local variables, which hold request
    # headers, tokens and personal data.
    return structlog.dev.ConsoleRenderer(colors=sys.stdout.isatty(), exception_formatter=structlog.dev.plain_traceback)


def logging_config(service: str, log_format: str, level: str = "info", access_log: bool = True) -> dict[str, Any]:
    """A `logging.config.dictConfig` for the whole process (what uvicorn is given as its `log_config`)."""
    pre_chain: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.ExtraAdder(allow=ACCESS_FIELDS),
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        _add_service(service),
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    if log_format == "json":  # a traceback as a field of its line, not as lines of its own
        pre_chain.append(structlog.processors.format_exc_info)
    level_name = level.upper()
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "structured": {
                "()": structlog.stdlib.ProcessorFormatter,
                "foreign_pre_chain": pre_chain,
                "processors": [structlog.stdlib.ProcessorFormatter.remove_processors_meta, _renderer(log_format)],
            },
        },
        "handlers": {
            "stdout": {"class": "logging.StreamHandler", "formatter": "structured", "stream": "ext://sys.stdout"},
        },
        "root": {"handlers": ["stdout"], "level": level_name},
        "loggers": {
            # uvicorn's loggers keep no handlers of their own: their lines reach the root's, formatted as ours.
            "uvicorn": {"handlers": [], "propagate": True, "level": level_name},
            "uvicorn.error": {"handlers": [], "propagate": True, "level": level_name},
            "uvicorn.access": {"handlers": [], "propagate": False, "level": "CRITICAL"},
            ACCESS_LOGGER: {"level": level_name if access_log else "CRITICAL"},
            **{name: {"level": "WARNING"} for name in QUIET_LIBRARIES},
        },
    }


def configure_logging(service: str, environment: str, level: str = "info", access_log: bool = True) -> dict[str, Any]:
    """Configures this process's logging; returns the configuration, for uvicorn to apply again as its own."""
    config = logging_config(service, LogSettings().chosen_format(environment), level, access_log)
    logging.config.dictConfig(config)
    return config


class LoggedTokenVerifier(TokenVerifier):
    """A TokenVerifier that names the caller it admits on the request's log lines, by the token's subject."""

    def verify(self, token: str) -> Principal:
        principal = super().verify(token)
        bind_principal(principal.id, principal.role.value, principal.force)
        return principal
