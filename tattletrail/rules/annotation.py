"""Annotation templates: `{actor} opened {requestParameters.groupId} to {requestParameters.ipPermissions.items.ipRanges.items.cidrIp}`.

A placeholder is a dotted path into the event document (the original record with the derived
fields beside it), read the way queries read it: a list on the way means "each element", a number
picks one element (`items.0.fromPort`). `{a|b}` takes the first path that has a value, and a quoted
last alternative is the text to show when none has: `{requestParameters.ipPermissions.items.fromPort|'all'}`. Several
values are joined with ", "; an object is shown as compact JSON; a missing value is "?". `{{` and
`}}` are literal braces. Templates are checked when rules load, so rendering never raises.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import orjson

from tattletrail.errors import TattletrailError

MISSING = "?"
MAX_VALUE_CHARS = 200
_TOKEN = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")
_PATH = re.compile(r"[^\s.{}|']+(\.[^\s.{}|']+)*")
_LITERAL = re.compile(r"'[^'{}|]*'")


class TemplateError(TattletrailError, ValueError):
    """A template that can't be rendered: an unbalanced brace or an empty or malformed placeholder."""


@dataclass(frozen=True, slots=True)
class Template:
    text: str
    # Literal text, or the alternative paths of a placeholder (each a tuple of keys).
    pieces: tuple[str | tuple[tuple[str, ...], ...], ...]

    def render(self, document: dict[str, Any]) -> str:
        out = []
        for piece in self.pieces:
            if isinstance(piece, str):
                out.append(piece)
            else:
                out.append(_first_present(document, piece))
        return "".join(out)


def compile_template(text: str) -> Template:
    pieces: list[str | tuple[tuple[str, ...], ...]] = []
    position = 0
    for found in _TOKEN.finditer(text):
        if found.start() > position:
            pieces.append(text[position:found.start()])
        token = found.group(0)
        if token in ("{{", "}}"):
            pieces.append(token[0])
        elif token in ("{", "}"):
            raise TemplateError(f"unbalanced {token!r} at column {found.start() + 1} (write {token * 2} for a "
                                "literal brace)")
        else:
            alternatives = [part.strip() for part in found.group(1).split("|")]
            bad = [part for index, part in enumerate(alternatives) if not _PATH.fullmatch(part)
                   and not (index == len(alternatives) - 1 and _LITERAL.fullmatch(part))]
            if bad:
                raise TemplateError(f"placeholder {token!r} at column {found.start() + 1}: {bad[0]!r} is not a "
                                    "dotted field path such as requestParameters.groupId")
            pieces.append(tuple((part,) if part.startswith("'") else tuple(part.split(".")) for part in alternatives))
        position = found.end()
    if position < len(text):
        pieces.append(text[position:])
    return Template(text, tuple(pieces))


def values_at_path(document: Any, keys: tuple[str, ...]) -> list[Any]:
    """The values at a path: lists on the way are stepped through, a number picks an element."""
    current = [document]
    for key in keys:
        found: list[Any] = []
        for node in current:
            if isinstance(node, list):
                if key.isdigit():
                    if int(key) < len(node):
                        found.append(node[int(key)])
                    continue
                items = node
            else:
                items = [node]
            found.extend(item[key] for item in items if isinstance(item, dict) and key in item)
        current = found
    flat: list[Any] = []
    for value in current:
        flat.extend(value if isinstance(value, list) else [value])
    return [value for value in flat if value is not None and value != ""]


def _first_present(document: dict[str, Any], alternatives: tuple[tuple[str, ...], ...]) -> str:
    for keys in alternatives:
        if len(keys) == 1 and keys[0].startswith("'"):  # the quoted fallback text
            return keys[0][1:-1]
        values = values_at_path(document, keys)
        if values:
            return ", ".join(_text(value) for value in values)
    return MISSING


def _text(value: Any) -> str:
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, str):
        text = value
    elif isinstance(value, (dict, list)):
        text = orjson.dumps(value).decode()
    else:
        text = str(value)
    return text if len(text) <= MAX_VALUE_CHARS else text[:MAX_VALUE_CHARS - 1] + "…"
