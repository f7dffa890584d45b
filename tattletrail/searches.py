"""Saved searches: named, described, parameterized queries kept as YAML files in searches/.

    name: actor-activity
    description: Everything one actor did.
    query: actor:{actor}
    params:
      actor: {description: "who, as the actor column shows it (e.g. root, alice, Role/session)"}

A `{param}` stands for one whole value; what the user gives is escaped into a literal, so a value
can never change the query's structure (`alice OR *` stays one value). A parameter without a
default is required. Every file is checked on load: unknown keys, undeclared or unused
parameters and queries that don't parse are errors naming the file and line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tattletrail.config_lookup import pack_folder
from tattletrail.config_yaml import load_yaml
from tattletrail.errors import ConfigError
from tattletrail.packs import PACK_ENV, PackFolder, shipped
from tattletrail.query import QueryError, parse_query

PACK = shipped("searches")
ENV_SEARCHES = PACK_ENV["searches"]
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_SPECIAL = set('+-=&|><!(){}[]^"~*?:\\/ ')


class SavedSearchError(ConfigError):
    """An unknown saved search, or arguments that don't fit it."""


# Dataclasses, not pydantic models: a file in the usual shape is taken as it is (`_as_search`), and
# pydantic, imported only for anything else, says what is wrong (`count --saved` starts ~90 ms sooner).
_STRICT = {"extra": "forbid", "frozen": True}


@dataclass(frozen=True)
class Param:
    __pydantic_config__ = _STRICT

    description: str
    default: str | None = None


@dataclass(frozen=True)
class SavedSearch:
    __pydantic_config__ = _STRICT

    name: str
    description: str
    query: str
    params: dict[str, Param] = field(default_factory=dict)

    def render(self, arguments: dict[str, str]) -> str:
        """The query with each `{param}` replaced by its value as one escaped literal."""
        unknown = sorted(set(arguments) - set(self.params))
        if unknown:
            raise SavedSearchError(f"saved search {self.name!r} has no parameter {unknown[0]!r}; "
                                   f"it takes: {self.usage()}")
        values = {name: arguments.get(name, param.default) for name, param in self.params.items()}
        absent = [name for name, value in values.items() if value is None]
        if absent:
            raise SavedSearchError(f"saved search {self.name!r} needs {absent[0]}=VALUE "
                                   f"({self.params[absent[0]].description}); usage: {self.usage()}")
        return _PLACEHOLDER.sub(lambda found: escape_value(values[found.group(1)] or ""), self.query)

    def usage(self) -> str:
        if not self.params:
            return "no parameters"
        return " ".join(f"{name}=VALUE" if param.default is None else f"[{name}={param.default}]"
                        for name, param in self.params.items())


def escape_value(value: str) -> str:
    """A value as one literal Lucene term: every character with a meaning is escaped."""
    if not value:
        return '""'
    return "".join("\\" + char if char in _SPECIAL or char.isspace() else char for char in value)


def searches_folder(given: str | Path | None = None) -> PackFolder:
    """--searches, else $TATTLETRAIL_SEARCHES, else `searches:` in the config, else
    <config dir>/searches, else the shipped pack (tattletrail/packs.py decides, for every pack alike)."""
    return pack_folder("searches", given)


def search_directories(given: str | Path | None = None) -> list[Path]:
    folder = searches_folder(given).path
    if not folder.is_dir():
        raise ConfigError(f"{folder}: no such folder of saved searches")
    return [folder]


def load_searches(directories: list[Path] | None = None) -> dict[str, SavedSearch]:
    """Every saved search in these directories (default: the folder in force, see searches_folder), by name."""
    found: dict[str, SavedSearch] = {}
    origins: dict[str, Path] = {}
    for directory in directories if directories is not None else search_directories():
        for path in sorted(Path(directory).glob("*.yml")) + sorted(Path(directory).glob("*.yaml")):
            search = load_search(path)
            if search.name in found:
                raise ConfigError(f"{path}: saved search {search.name!r} is also defined in {origins[search.name]}")
            found[search.name], origins[search.name] = search, path
    return found


def load_search(path: Path) -> SavedSearch:
    document = load_yaml(path)
    search = _as_search(document)
    if search is None:  # something unusual: pydantic accepts it as it would, or names the problem
        from tattletrail.config_files import validate

        search = validate(SavedSearch, document, path)
    line = (document.get("__lines__", {}) if isinstance(document, dict) else {}).get("query")
    where = f"{path}:{line}" if line else str(path)
    used = set(_PLACEHOLDER.findall(search.query))
    for name in sorted(used - set(search.params)):
        raise ConfigError(f"{where}: query uses {{{name}}} but params doesn't declare {name!r}")
    for name in sorted(set(search.params) - used):
        raise ConfigError(f"{where}: parameter {name!r} is declared but the query never uses {{{name}}}")
    try:
        parse_query(search.render({name: "example" for name in search.params}))
    except QueryError as error:
        raise ConfigError(f"{where}: the query doesn't parse: {error}") from None
    return search


_KEYS = {"name", "description", "query", "params"}
_LINES = ("__lines__", "__line__")


def _as_search(document: Any) -> SavedSearch | None:
    """The search when the file has exactly the usual shape (every key known, each value of its
    type as written, nothing to convert); None sends anything else to pydantic. It accepts only
    what pydantic accepts unchanged, so the two can't disagree; a new key falls to pydantic."""
    if not isinstance(document, dict) or not {"name", "description", "query"} <= document.keys() <= {*_KEYS, *_LINES}:
        return None
    texts = [document["name"], document["description"], document["query"]]
    params = document.get("params", {})
    if any(type(text) is not str for text in texts) or type(params) is not dict:
        return None
    found: dict[str, Param] = {}
    for name, param in params.items():
        if name in _LINES:
            continue
        if type(name) is not str or type(param) is not dict or not {"description"} <= param.keys() <= \
                {"description", "default", *_LINES}:
            return None
        description, default = param["description"], param.get("default")
        if type(description) is not str or (default is not None and type(default) is not str):
            return None
        found[name] = Param(description, default)
    return SavedSearch(texts[0], texts[1], texts[2], found)


def find_search(name: str, searches: dict[str, SavedSearch] | None = None) -> SavedSearch:
    import difflib

    searches = load_searches() if searches is None else searches
    if name not in searches:
        close = difflib.get_close_matches(name, list(searches), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else f"; known: {', '.join(sorted(searches))}"
        raise SavedSearchError(f"no saved search named {name!r}{hint}")
    return searches[name]


def parse_arguments(pairs: list[str]) -> dict[str, str]:
    """`name=value` words from the command line."""
    arguments: dict[str, str] = {}
    for pair in pairs:
        name, equals, value = pair.partition("=")
        if not equals or not name:
            raise SavedSearchError(f"{pair!r}: give saved search parameters as name=value")
        arguments[name] = value
    return arguments
