"""Reading our YAML files strictly: every key's line remembered, unknown keys refused with a
did-you-mean, every problem as `FILE:LINE: field: message`. One small leaf module that the config,
checks, rules and searches all load through; it imports nothing of Tattletrail's, so reading a
check or a saved search doesn't pull in the config file's models (destinations, templates).
The YAML itself is read by config_yaml.py, which needs no pydantic (`count --saved` reads a saved
search without it). A model is a pydantic model or a dataclass (validated through a TypeAdapter).
"""

from __future__ import annotations

import dataclasses
import difflib
import types
import typing
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError

from tattletrail.config_yaml import load_yaml, strip_lines
from tattletrail.errors import ConfigError

__all__ = ["ConfigError", "Strict", "load_yaml", "validate", "strip_lines"]

Model = TypeVar("Model")


class Strict(BaseModel):
    """Base for every file format: unknown keys are errors, not silently ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def validate(model: type[Model], document: Any, path: Path) -> Model:
    """Turn one parsed YAML mapping into `model` (a pydantic model, or a dataclass whose
    `__pydantic_config__` forbids extra keys), or raise ConfigError naming file, line and field."""
    if not isinstance(document, dict):
        raise ConfigError(f"{path}: expected a mapping of keys to values, found {type(document).__name__}")
    try:
        if isinstance(model, type) and issubclass(model, BaseModel):
            return model.model_validate(strip_lines(document))
        return TypeAdapter(model).validate_python(strip_lines(document))
    except ValidationError as error:
        raise ConfigError(_describe(error, model, document, path)) from None


def _describe(error: ValidationError, model: type[Any], document: dict[str, Any], path: Path) -> str:
    messages = []
    for problem in error.errors():
        location = _without_tags(document, [str(part) for part in problem["loc"]])
        line = _line_of(document, location)
        field = ".".join(location) or "(top level)"
        if problem["type"] in ("extra_forbidden", "unexpected_keyword_argument"):  # a model, a dataclass
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


def _known_keys(model: type[Any], location: list[str], document: Any) -> list[str]:
    annotation: Any = model
    node = document
    for part in location:
        annotation = _field_type(_as_model(annotation, node), part)
        node = node.get(part) if isinstance(node, dict) else None
    fields = _fields_of(_as_model(annotation, node))
    return sorted(fields) if fields is not None else []


def _fields_of(annotation: Any) -> dict[str, Any] | None:
    """A model's keys as written (a field's alias: `except`) and their types; None for anything else."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return {field.alias or name: field.annotation for name, field in annotation.model_fields.items()}
    if isinstance(annotation, type) and dataclasses.is_dataclass(annotation):
        return typing.get_type_hints(annotation)
    return None


def _field_type(annotation: Any, part: str) -> Any:
    """The type of `part` inside `annotation`: a model's field, a dict's values, a list's items."""
    fields = _fields_of(annotation)
    if fields is not None:
        return fields.get(part)
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
