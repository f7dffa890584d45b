"""Loading and validating config files (and, later, checks, rules and searches) at the edge.

Every YAML file becomes a typed pydantic object on load. A mistake is reported as
`FILE:LINE: field: message`, with a suggestion for a misspelt key, and the core never re-checks.
"""

from __future__ import annotations

import difflib
import os
import re
import types
import typing
from pathlib import Path
from typing import Any, TypeVar

import platformdirs
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from tattletrail.destinations.settings import AnyDestinationSettings
from tattletrail.timespec import parse_duration, zone

ENV_CONFIG = "TATTLETRAIL_CONFIG"
ENV_STORE = "TATTLETRAIL_STORE"

Model = TypeVar("Model", bound=BaseModel)


class ConfigError(ValueError):
    """A config, check, rule or search file that can't be used; the message names file and line."""


class Strict(BaseModel):
    """Base for every file format: unknown keys are errors, not silently ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class ReportSchedule(Strict):
    """`checker: report:` — the report sent every day at `at` (HH:MM in `tz`) to `destinations`."""

    at: str = "08:00"
    tz: str = "UTC"  # an IANA name, e.g. Europe/Paris (daylight saving time is followed)
    since: str = "24h"  # the window: this long before the scheduled time, up to it
    destinations: list[str] = Field(min_length=1)
    top: int = Field(10, ge=1)  # items carried by the alert
    enabled: bool = True

    @field_validator("at")
    @classmethod
    def _time_of_day(cls, text: str) -> str:
        if not re.fullmatch(r"([01][0-9]|2[0-3]):[0-5][0-9]", text):
            raise ValueError(f"{text!r} is not a time of day: use HH:MM on 24 hours, e.g. '08:00' (quoted)")
        return text

    @field_validator("tz")
    @classmethod
    def _known_zone(cls, name: str) -> str:
        zone(name)  # an unknown zone raises TimeSpecError (a ValueError) with what to write
        return name

    @field_validator("since")
    @classmethod
    def _duration(cls, text: str) -> str:
        parse_duration(text)
        return text


class CheckerSettings(Strict):
    report: ReportSchedule | None = None


class Config(Strict):
    store: str | None = None  # a store URL; TATTLETRAIL_STORE overrides it
    rules: str | None = None  # a directory of rule files instead of the pack (--rules overrides it)
    dashboards_url: str | None = None  # OpenSearch Dashboards base URL: alerts link to Discover
    # name → one typed model per `type` (stdout, jsonl, slack, webhook, sns, ses, pagerduty)
    destinations: dict[str, AnyDestinationSettings] = {}
    checker: CheckerSettings = CheckerSettings()  # the daemon's own settings: the scheduled report
    # More fields for the embedded store to keep in columns (docs/query.md, "Fast fields"); applied
    # by `tattletrail setup`.
    fast_fields: list[str] = []


class _LineLoader(yaml.SafeLoader):
    """A YAML loader that remembers the line of every mapping key, for error messages."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> dict[str, Any]:
    mapping = loader.construct_mapping(node, deep=True)
    lines = {str(key.value): key.start_mark.line + 1 for key, _ in node.value}
    mapping["__lines__"] = lines
    mapping["__line__"] = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def load_yaml(path: Path) -> Any:
    """Parse a YAML file; mappings carry `__lines__` (key → line) until `strip_lines` removes them."""
    try:
        text = path.read_text()
    except OSError as error:
        raise ConfigError(f"{path}: can't read: {error.strerror}") from error
    try:
        return yaml.load(text, Loader=_LineLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        raise ConfigError(f"{where}: not valid YAML: {getattr(error, 'problem', error)}") from error


def validate(model: type[Model], document: Any, path: Path) -> Model:
    """Turn one parsed YAML mapping into `model`, or raise ConfigError naming file, line and field."""
    if not isinstance(document, dict):
        raise ConfigError(f"{path}: expected a mapping of keys to values, found {type(document).__name__}")
    try:
        return model.model_validate(strip_lines(document))
    except ValidationError as error:
        raise ConfigError(_describe(error, model, document, path)) from None


def strip_lines(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: strip_lines(item) for key, item in value.items() if key not in ("__lines__", "__line__")}
    if isinstance(value, list):
        return [strip_lines(item) for item in value]
    return value


def _describe(error: ValidationError, model: type[BaseModel], document: dict[str, Any], path: Path) -> str:
    messages = []
    for problem in error.errors():
        location = _without_tags(document, [str(part) for part in problem["loc"]])
        line = _line_of(document, location)
        field = ".".join(location) or "(top level)"
        if problem["type"] == "extra_forbidden":
            message = f"unknown key {location[-1]!r}"
            known = _known_keys(model, location[:-1], document)
            close = difflib.get_close_matches(location[-1], known, n=1)
            message += f" (did you mean {close[0]!r}?)" if close else f" (known keys: {', '.join(known)})"
        else:
            message = f"{field}: {problem['msg']}"
        messages.append(f"{path}:{line}: {message}" if line else f"{path}: {message}")
    return "\n".join(messages)


def _line_of(document: Any, location: list[str]) -> int | None:
    line = document.get("__line__") if isinstance(document, dict) else None
    node = document
    for part in location:
        if isinstance(node, dict):
            line = node.get("__lines__", {}).get(part, line)
            node = node.get(part)
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
            line = node.get("__line__", line) if isinstance(node, dict) else line
        else:
            break
    return line


def _without_tags(document: Any, location: list[str]) -> list[str]:
    """Drop the union tags pydantic puts in an error's location (`destinations.ops.slack.url`
    means the `ops` mapping, whose `type` is slack): the reader's path has no such level."""
    kept, node = [], document
    for part in location:
        if isinstance(node, dict) and part not in node and part in node.values():
            continue
        kept.append(part)
        if isinstance(node, dict):
            node = node.get(part)
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            node = None
    return kept


def _known_keys(model: type[BaseModel], location: list[str], document: Any) -> list[str]:
    annotation: Any = model
    node = document
    for part in location:
        annotation = _field_type(_as_model(annotation, node), part)
        node = node.get(part) if isinstance(node, dict) else None
    found = _as_model(annotation, node)
    return sorted(found.model_fields) if isinstance(found, type) and issubclass(found, BaseModel) else []


def _field_type(annotation: Any, part: str) -> Any:
    """The type of `part` inside `annotation`: a model's field, a dict's values, a list's items."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        field = annotation.model_fields.get(part)
        return field.annotation if field else None
    origin, arguments = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is dict:
        return arguments[1]
    if origin is list:
        return arguments[0]
    return None


def _as_model(annotation: Any, node: Any) -> Any:
    """The model a field's type stands for; in a union, the member whose Literal fields (its `type`)
    match the YAML mapping. Anything else comes back unchanged."""
    if typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        for member in typing.get_args(annotation):
            if not (isinstance(member, type) and issubclass(member, BaseModel)):
                continue
            literals = {name: typing.get_args(field.annotation) for name, field in member.model_fields.items()
                        if typing.get_origin(field.annotation) is typing.Literal}
            if isinstance(node, dict) and all(node.get(name) in values for name, values in literals.items()):
                return member
    return annotation


def config_path() -> Path | None:
    """The config file in force: $TATTLETRAIL_CONFIG, ./tattletrail.yml, or the user's config dir."""
    if os.environ.get(ENV_CONFIG):
        return Path(os.environ[ENV_CONFIG])
    for candidate in (Path("tattletrail.yml"), Path(platformdirs.user_config_dir("tattletrail")) / "config.yml"):
        if candidate.is_file():
            return candidate
    return None


def load_config(path: Path | None = None) -> Config:
    path = path or config_path()
    if path is None:
        return Config()
    document = load_yaml(path)
    return Config() if document is None else validate(Config, document, path)


def default_store_url(config: Config | None = None) -> str:
    """--store is handled by the CLI; then $TATTLETRAIL_STORE, the config file, the user data dir."""
    if os.environ.get(ENV_STORE):
        return os.environ[ENV_STORE]
    config = config or load_config()
    if config.store:
        return config.store
    return f"duckdb:///{Path(platformdirs.user_data_dir('tattletrail')) / 'events.duckdb'}"
