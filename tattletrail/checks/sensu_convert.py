"""Sensu 1.x check definitions (`{"checks": {NAME: {"command": …, "interval": …}}}`) → check files.

Each `check-es-query-count.rb` command line is read with the plugin's own flags (sensu.py) and
becomes a YAML check with the same meaning: its query and field, its window, its thresholds made
exact for our `>=`/`<` (sensu.check_thresholds), the Sensu `interval`, `occurrences` and
`refresh` (Sensu's default 1800 s), and its handlers as destinations. Other commands are skipped
with the reason; a command line the plugin would refuse is an error naming the check, and then
nothing is written.
"""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import yaml

from tattletrail.checks.model import Check, duration_text
from tattletrail.checks.sensu import check_fields
from tattletrail.checks.sensu_flags import PLUGIN, PluginArgumentError, parse_arguments
from tattletrail.config_files import ConfigError

PLUGIN_COMMANDS = {PLUGIN, PLUGIN.removesuffix(".rb")}
SENSU_REFRESH = 1800  # seconds: Sensu 1.x's occurrences filter default
# Sensu attributes about where and when Sensu runs a check: nothing for a check file to keep.
SCHEDULING = ("subscribers", "standalone", "source", "ttl", "timeout", "proxy_requests", "round_robin",
              "low_flap_threshold", "high_flap_threshold", "aggregate", "aggregates", "subdue", "dependencies",
              "cron", "type", "auto_resolve", "force_resolve", "extension", "stdin", "output_format")


@dataclass
class Conversion:
    """What became of one Sensu check: a check file written, or skipped with the reason."""

    sensu_name: str
    name: str | None = None
    document: dict[str, Any] | None = None
    command: str = ""
    skipped: str | None = None
    notes: list[str] = field(default_factory=list)
    path: Path | None = None


def read_sensu_checks(path: Path) -> dict[str, dict[str, Any]]:
    try:
        document = json.loads(path.read_text())
    except OSError as error:
        raise ConfigError(f"{path}: can't read it ({error.strerror})") from None
    except json.JSONDecodeError as error:
        raise ConfigError(f"{path}:{error.lineno}: not JSON ({error.msg}, column {error.colno})") from None
    checks = document.get("checks") if isinstance(document, dict) else None
    if not isinstance(checks, dict):
        raise ConfigError(f'{path}: expected Sensu 1.x checks, {{"checks": {{"NAME": {{"command": …}}}}}}')
    for name, definition in checks.items():
        if not isinstance(definition, dict):
            raise ConfigError(f"{path}: check {name!r}: expected a mapping of attributes, not {definition!r}")
    return checks


def convert_checks(path: Path) -> list[Conversion]:
    """Every check in the Sensu file, converted or skipped; ConfigError naming the check for a
    command line that can't be read."""
    conversions = [convert_check(path, name, definition) for name, definition in read_sensu_checks(path).items()]
    seen: dict[str, str] = {}
    for conversion in conversions:
        if conversion.name is None:
            continue
        if conversion.name in seen:
            raise ConfigError(f"{path}: checks {seen[conversion.name]!r} and {conversion.sensu_name!r} would both "
                              f"be named {conversion.name!r}; rename one in the Sensu file")
        seen[conversion.name] = conversion.sensu_name
    return conversions


def convert_check(path: Path, sensu_name: str, definition: dict[str, Any]) -> Conversion:
    conversion = Conversion(sensu_name)
    if not isinstance(definition.get("command"), str):
        conversion.skipped = "no command (an extension check?)"
        return conversion
    try:
        tokens = shlex.split(definition["command"])
    except ValueError as error:
        raise ConfigError(f"{path}: check {sensu_name!r}: the command does not split like a shell line ({error})") \
            from None
    start = next((at for at, token in enumerate(tokens) if Path(token).name in PLUGIN_COMMANDS), None)
    if start is None:
        conversion.skipped = f"not {PLUGIN} ({Path(tokens[0]).name if tokens else 'empty command'})"
        return conversion
    conversion.command = _redacted(tokens[start:])
    if any(":::" in token for token in tokens):
        conversion.skipped = "uses Sensu client tokens (:::…:::), whose values differ per client"
        return conversion
    try:
        options = parse_arguments(tokens[start + 1:])
    except PluginArgumentError as error:
        raise ConfigError(f"{path}: check {sensu_name!r}: {error}") from None
    try:
        keys = check_fields(options)
    except PluginArgumentError as error:
        conversion.skipped = str(error)
        return conversion
    for key in ("interval", "occurrences", "refresh"):
        value = definition.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
            raise ConfigError(f"{path}: check {sensu_name!r}: {key} must be a whole number of "
                              f"{'seconds' if key != 'occurrences' else 'runs'} (1 or more), not {value!r}")
    conversion.name = check_name(sensu_name)
    if conversion.name != sensu_name:
        conversion.notes.append(f"named {conversion.name} (check names are lowercase letters, digits and -)")
    conversion.document = _document(conversion, definition, keys)
    conversion.notes += _notes(options.connection_flags(), definition)
    Check.model_validate(conversion.document)  # what we write loads; a failure here is our bug
    return conversion


def check_name(sensu_name: str) -> str:
    name = re.sub(r"[^a-z0-9]+", "-", sensu_name.lower()).strip("-")
    return name or "sensu-check"


def _document(conversion: Conversion, definition: dict[str, Any], keys: dict[str, Any]) -> dict[str, Any]:
    description = definition.get("notification") or definition.get("description") or \
        f"Converted from the Sensu check {conversion.sensu_name}"
    document: dict[str, Any] = {"name": conversion.name, "description": description, "query": keys["query"],
                                "window": duration_text(keys["window"]),
                                "interval": duration_text(timedelta(seconds=int(definition.get("interval", 60))))}
    for key in ("warning", "critical", "direction", "count_by"):
        if key in keys:
            document[key] = keys[key]
    if "delay" in keys:
        document["delay"] = duration_text(keys["delay"])
    document["occurrences"] = int(definition.get("occurrences", 1))
    document["refresh"] = duration_text(timedelta(seconds=int(definition.get("refresh", SENSU_REFRESH))))
    handlers = definition.get("handlers") or ([definition["handler"]] if definition.get("handler") else [])
    if handlers and definition.get("handle", True) is not False:
        document["destinations"] = {"warning": list(handlers), "critical": list(handlers), "unknown": list(handlers)}
    if definition.get("publish") is False:
        document["enabled"] = False
    document["tags"] = ["sensu"]
    return document


def _notes(connection_flags: list[str], definition: dict[str, Any]) -> list[str]:
    notes = []
    if connection_flags:
        notes.append(f"not carried over: {', '.join(connection_flags)} (the check counts in your tattletrail store)")
    if "interval" not in definition:
        notes.append("no interval in Sensu: every 60s")
    scheduling = [key for key in SCHEDULING if key in definition]
    if scheduling:
        notes.append(f"Sensu-only attributes not carried over: {', '.join(scheduling)}")
    handlers = definition.get("handlers") or definition.get("handler")
    if handlers:
        notes.append("handlers became destinations: each must be a destination in your config (check validate says)")
    return notes


def _redacted(tokens: list[str]) -> str:
    shown, hide_next = [], False
    for token in tokens:
        if hide_next:
            shown.append("***")
            hide_next = False
            continue
        if token in ("-P", "--password"):
            hide_next = True
        elif token.startswith("--password=") or (token.startswith("-P") and len(token) > 2):
            token = token[:11] + "***" if token.startswith("--password=") else "-P***"
        shown.append(token)
    return shlex.join(shown)


def write_checks(conversions: list[Conversion], directory: Path, overwrite: bool = False) -> list[Conversion]:
    """Write each converted check to DIRECTORY/NAME.yml (refusing to replace a file unless asked)."""
    written = [conversion for conversion in conversions if conversion.document is not None]
    for conversion in written:
        conversion.path = directory / f"{conversion.name}.yml"
        if conversion.path.exists() and not overwrite:
            raise ConfigError(f"{conversion.path} exists: remove it, pick another folder, or pass --force")
    directory.mkdir(parents=True, exist_ok=True)
    for conversion in written:
        assert conversion.path is not None and conversion.document is not None
        header = (f"# Converted by `tattletrail check convert-sensu` from the Sensu check {conversion.sensu_name}:\n"
                  f"#   {conversion.command}\n")
        conversion.path.write_text(header + yaml.safe_dump(conversion.document, sort_keys=False, allow_unicode=True))
    return written
