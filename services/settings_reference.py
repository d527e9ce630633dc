"""`make settings-reference`: docs/settings.md and .env.example, written from the settings classes themselves.

Each variable's meaning is its field's `description`, or else the comment written beside or just above the field
in its class (the convention every settings class here follows), so a setting added with its comment is documented
by running this again; tests/contract/test_settings_reference.py fails while the committed files are stale or a
field has no meaning.
"""

from __future__ import annotations

import ast
import inspect
import io
import json
import textwrap
import tokenize
import types
import typing
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal

from pydantic import AliasChoices, BaseModel, SecretStr
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings

from services.caution_service.config import DEV_VAULT_KEY
from services.caution_service.config import Settings as CautionSettings
from services.notification_service.config import Settings as NotifySettings
from services.web.config import DEV_SESSION_SECRET, WebSettings
from shared.auth import DEV_JWT_SECRET
from shared.keyring import DEV_MASTER_KEYS
from shared.logging_setup import LogSettings

ROOT = Path(__file__).resolve().parents[1]
MARKDOWN = ROOT / "docs" / "settings.md"
ENV_EXAMPLE = ROOT / ".env.example"
DEVELOPMENT_ONLY = {DEV_JWT_SECRET, DEV_VAULT_KEY, DEV_MASTER_KEYS, DEV_SESSION_SECRET}
UNSET, DEVELOPMENT_VALUE = "unset", "a development value, refused in production"
NOT_A_VALUE = (UNSET, DEVELOPMENT_VALUE)  # shown as words, and left empty in .env.example

SECTIONS: tuple[tuple[str, type[BaseSettings], str], ...] = (
    ("Caution service", CautionSettings, "Read by `python -m services.caution_service` and every process of that "
     "service (`make projector`, `make relay`, `make rebuild`, `make migrate`, `make rotate-keys`)."),
    ("Notification service", NotifySettings, "Read by `python -m services.notification_service` and `make migrate`."),
    ("Web application", WebSettings, "Read by `python -m services.web` (started by `make run` on port 8002)."),
    ("Both services: logs", LogSettings, "Read by both services when they start (shared/logging_setup.py)."),
)
# Not settings of a service: what `make run` (services/run_local.py) reads to start the two on one machine.
MAKE_RUN = (
    ("CAUTION_PORT", "8000", "The caution service's port under `make run`; the notification service started with it "
     "reads that port's feed (unless `CARA_NOTIFY_CAUTION_FEED_URL` is set)."),
    ("NOTIFY_PORT", "8001", "The notification service's port under `make run`."),
    ("WEB_PORT", "8002", "The web application's port under `make run`; it is pointed at the two services' ports "
     "(unless `CARA_WEB_CAUTION_URL` and `CARA_WEB_NOTIFY_URL` are set)."),
)


@dataclass(frozen=True)
class Variable:
    names: tuple[str, ...]  # the first is the one to set; the others are read when it is not
    default: str
    kind: str
    meaning: str


def variables(settings: type[BaseSettings]) -> list[Variable]:
    prefix = str(settings.model_config.get("env_prefix", ""))
    return [Variable(_names(prefix, name, f), _default(f), _kind(f.annotation), _meaning(settings, name, f))
            for name, f in settings.model_fields.items()]


def _names(prefix: str, name: str, field: FieldInfo) -> tuple[str, ...]:
    alias = field.validation_alias
    if isinstance(alias, AliasChoices):
        return tuple(str(choice).upper() for choice in alias.choices)
    if isinstance(alias, str):
        return (alias.upper(),)
    return (f"{prefix}{name}".upper(),)


def _default(field: FieldInfo) -> str:
    value = field.get_default(call_default_factory=True)
    if value is None:
        return UNSET
    if isinstance(value, str) and value in DEVELOPMENT_ONLY:
        return DEVELOPMENT_VALUE
    if isinstance(value, BaseModel):
        return json.dumps(value.model_dump(mode="json", exclude_defaults=True))
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, dict | list):
        return json.dumps(value)
    return str(value)


def _kind(annotation: Any) -> str:
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is Literal:
        return "one of " + ", ".join(str(a) for a in args)
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_kind(a) for a in args if a is not type(None))
    if annotation is SecretStr:
        return "secret text"
    if origin in (dict, list) or (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
        return "JSON"
    return {str: "text", int: "integer", float: "number", bool: "true or false"}.get(annotation, str(annotation))


def _meaning(settings: type[BaseSettings], name: str, field: FieldInfo) -> str:
    if field.description:
        return _sentence(field.description)
    owner = next(c for c in settings.__mro__ if name in c.__dict__.get("__annotations__", {}))
    return _sentence(field_comments(owner).get(name, ""))


def _sentence(text: str) -> str:
    text = text.strip()
    if not text:
        return ""
    return text[0].upper() + text[1:] + ("" if text.endswith((".", ")")) else ".")


@cache
def field_comments(owner: type) -> dict[str, str]:
    """Each field's comment: the comment lines just above it, then the comment at the end of its line(s)."""
    source = textwrap.dedent(inspect.getsource(owner))
    alone: dict[int, str] = {}  # line number -> a comment that is the whole line
    trailing: dict[int, str] = {}
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT:
            text = token.string.lstrip("#").strip()
            (alone if not token.line[: token.start[1]].strip() else trailing)[token.start[0]] = text
    comments: dict[str, str] = {}
    body = ast.parse(source).body[0]
    assert isinstance(body, ast.ClassDef)
    for node in body.body:
        if not (isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)):
            continue
        above: list[str] = []
        line = node.lineno - 1
        while line in alone:
            above.insert(0, alone[line])
            line -= 1
        after = [trailing[n] for n in range(node.lineno, (node.end_lineno or node.lineno) + 1) if n in trailing]
        comments[node.target.id] = " ".join(above + after).strip()
    return comments


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown() -> str:
    out = ["# Settings reference", "",
           "Every environment variable the services read, its default and what it is for. Generated from the settings",
           "classes by `make settings-reference` (`python -m services.settings_reference`): do not edit by hand.",
           "[`.env.example`](../.env.example) lists the same variables.", "",
           "Values that are JSON (`CARA_FORCE_CONDITIONS`, `CARA_RETENTION`, ...) are given as one line of JSON.",
           "A default marked *a development value* lets `make run` work with no set-up; production refuses to start",
           "with it.", ""]
    for title, settings, intro in SECTIONS:
        out += [f"## {title}", "", intro, "", "| variable | default | type | meaning |", "|---|---|---|---|"]
        for v in variables(settings):
            names = "<br>".join(f"`{n}`" for n in v.names)
            default = v.default if v.default in NOT_A_VALUE else f"`{_cell(v.default)}`"
            out.append(f"| {names} | {default} | {_cell(v.kind)} | {_cell(v.meaning)} |")
        out.append("")
    out += ["## `make run`", "", "Read by `make run` only (services/run_local.py), not by the services.", "",
            "| variable | default | meaning |", "|---|---|---|"]
    out += [f"| `{name}` | `{default}` | {_cell(meaning)} |" for name, default, meaning in MAKE_RUN]
    return "\n".join(out) + "\n"


def render_env_example() -> str:
    out = ["# Every variable the services read, commented out at its default (docs/settings.md says more).",
           "# Generated by `make settings-reference`. Copy it to .env and uncomment what you change: `make run` reads",
           "# .env; a deployment sets the same variables in its environment.", ""]
    for title, settings, _ in SECTIONS:
        out += [f"# ---- {title} " + "-" * (100 - len(title)), ""]
        for v in variables(settings):
            out += [f"# {line}" for line in textwrap.wrap(v.meaning, 110)]
            if len(v.names) > 1:
                out.append(f"# (or {', '.join(v.names[1:])})")
            value = "" if v.default in NOT_A_VALUE else v.default
            out += [f"# {v.names[0]}={value}", ""]
    out += ["# ---- make run " + "-" * 93, ""]
    for name, default, meaning in MAKE_RUN:
        out += [f"# {line}" for line in textwrap.wrap(meaning, 110)] + [f"# {name}={default}", ""]
    return "\n".join(out)


def documents() -> dict[Path, str]:
    return {MARKDOWN: render_markdown(), ENV_EXAMPLE: render_env_example()}


def main() -> None:
    for path, text in documents().items():
        path.write_text(text)
        print(f"wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
