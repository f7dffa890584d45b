"""Reading our YAML files strictly: every key's line remembered, unknown keys refused with a
did-you-mean, every problem as `FILE:LINE: field: message`. One small leaf module that the config,
checks, rules and searches all load through; it imports nothing of Tattletrail's, so reading a
check or a saved search doesn't pull in the config file's models (destinations, templates).
"""

from __future__ import annotations

import difflib
import types
import typing
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from tattletrail.errors import ConfigError

__all__ = ["ConfigError", "Strict", "load_yaml", "validate", "strip_lines"]

Model = TypeVar("Model", bound=BaseModel)


class Strict(BaseModel):
    """Base for every file format: unknown keys are errors, not silently ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True)


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
    if not (isinstance(found, type) and issubclass(found, BaseModel)):
        return []
    return sorted(field.alias or name for name, field in found.model_fields.items())  # as written: `except`


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
