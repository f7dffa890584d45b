"""Our YAML files as parsed data, every mapping carrying the line of each key (`__lines__`, and its
own `__line__`) for error messages, until `strip_lines` removes them. No models and no pydantic:
config_files.py validates what this reads, and a saved search in its usual shape is taken as it
is (searches.py), so `count --saved` starts without pydantic's ~90 ms.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from tattletrail.errors import ConfigError


class _LineLoader(yaml.SafeLoader):
    """A YAML loader that remembers the line of every mapping key, for error messages."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> dict[Any, Any]:
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


def strip_lines(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: strip_lines(item) for key, item in value.items() if key not in ("__lines__", "__line__")}
    if isinstance(value, list):
        return [strip_lines(item) for item in value]
    return value
