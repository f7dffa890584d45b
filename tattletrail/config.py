"""The config file (`tattletrail.yml`): its typed model and its loading. Where it is found is
`config_path` in packs.py; the default store and the pack folders are config_lookup.py's, which
loads this module only when there is a config file.

It is read strictly through config_files.py (as checks, rules and searches are): a mistake is
reported as `FILE:LINE: field: message`, with a suggestion for a misspelt key. ConfigError,
Strict, load_yaml and validate are imported from here too, as before.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from pathlib import Path

from pydantic import Field, field_validator, model_validator

from tattletrail.config_files import ConfigError, Strict, load_yaml, validate
from tattletrail.destinations.settings import AnyDestinationSettings
from tattletrail.packs import ENV_CONFIG, config_path
from tattletrail.timespec import parse_duration, zone

__all__ = ["ConfigError", "Strict", "load_yaml", "validate", "Config", "Expected", "config_path", "load_config",
           "expected_query", "ENV_CONFIG"]


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


class MaintenanceWindow(Strict):
    """`checker: maintenance:` — from `start` to `end` (ISO 8601, UTC unless an offset is given) the
    named checks (all when `checks` is empty), or only their groups with the values in `group`, are
    evaluated and recorded but not notified."""

    start: datetime
    end: datetime
    checks: list[str] = []
    group: dict[str, str] = {}
    reason: str = ""

    @field_validator("start", "end")
    @classmethod
    def _utc(cls, moment: datetime) -> datetime:
        return moment.astimezone(timezone.utc).replace(tzinfo=None) if moment.tzinfo else moment

    @model_validator(mode="after")
    def _ordered(self) -> "MaintenanceWindow":
        if self.end <= self.start:
            raise ValueError(f"end ({self.end:%Y-%m-%d %H:%M}) must be after start ({self.start:%Y-%m-%d %H:%M})")
        return self


class CheckerSettings(Strict):
    report: ReportSchedule | None = None
    maintenance: list[MaintenanceWindow] = []


# Lucene's special characters, but for the wildcards `*` and `?` an actor pattern may use.
_ACTOR_SPECIAL = set('+-=&|><!(){}[]^"~:\\/')


class Expected(Strict):
    """One `expected:` entry: activity that is normal here, never a finding of the rules and
    checks it names (all of them when it names none). `actors` and `query` together mean both."""

    actors: list[str] = []  # actor values, `*` and `?` as wildcards: github-actions-deploy/*
    query: str | None = None  # a Lucene query (docs/query.md)
    only: list[str] = []  # names of rules or checks; empty: every rule and check
    reason: str = ""

    @field_validator("query")
    @classmethod
    def _parses(cls, text: str | None) -> str | None:
        if text is not None:
            from tattletrail.query import parse_query

            parse_query(text)  # a QueryError is a ValueError: reported with the file and line
        return text

    @field_validator("only")
    @classmethod
    def _names(cls, names: list[str]) -> list[str]:
        for name in names:
            if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", name):
                raise ValueError(f"{name!r} is not a rule or check name (lowercase letters, digits and -)")
        return names

    @model_validator(mode="after")
    def _says_what(self) -> "Expected":
        if not self.actors and self.query is None:
            raise ValueError("an expected entry needs `actors` or `query` (or both)")
        return self

    def applies_to(self, name: str) -> bool:
        # a rule's refused variant (NAME-attempt) is expected where the rule is
        return not self.only or name in self.only or name.removesuffix("-attempt") in self.only

    def query_text(self) -> str:
        parts = []
        if self.actors:
            escaped = ["".join("\\" + char if char in _ACTOR_SPECIAL or char.isspace() else char for char in actor)
                       for actor in self.actors]
            parts.append(f"actor:({' OR '.join(escaped)})")
        if self.query is not None:
            parts.append(f"({self.query})")
        return " AND ".join(parts)


def expected_query(entries: list[Expected], name: str) -> str | None:
    """What the config says is expected for the rule or check `name`, as one query (or None)."""
    queries = [f"({entry.query_text()})" for entry in entries if entry.applies_to(name)]
    return " OR ".join(queries) if queries else None


class Config(Strict):
    store: str | None = None  # a store URL; TATTLETRAIL_STORE overrides it
    rules: str | None = None  # a directory of rule files instead of the pack (--rules overrides it)
    checks: str | None = None  # a directory of checks instead of the pack (--checks overrides it)
    searches: str | None = None  # a directory of saved searches instead of the pack (--searches overrides it)
    dashboards_url: str | None = None  # OpenSearch Dashboards base URL: alerts link to Discover
    # name → one typed model per `type` (stdout, jsonl, slack, webhook, sns, ses, pagerduty)
    destinations: dict[str, AnyDestinationSettings] = {}
    checker: CheckerSettings = CheckerSettings()  # the daemon's own settings: the scheduled report
    expected: list[Expected] = []  # activity that is normal here (docs/checks.md "Expected activity")
    # More fields for the embedded store to keep in columns (docs/query.md, "Fast fields"); applied
    # by `tattletrail setup`.
    fast_fields: list[str] = []


def load_config(path: Path | None = None) -> Config:
    path = path or config_path()
    if path is None:
        return Config()
    document = load_yaml(path)
    return Config() if document is None else validate(Config, document, path)
