"""Secrets are referenced, never written: `${SLACK_WEBHOOK_URL}` or a file path, read at use.

A destination's settings hold only the reference, so printing the config, a repr or an error
can never show a token. The value exists for the length of one `send`.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from tattletrail.destinations.base import DeliveryError

_REFERENCE = re.compile(r"^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$")
_EMBEDDED = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def check_reference(text: str) -> str:
    """Validator for secret fields: only `${NAME}` is accepted, so a token can't land in a config file."""
    if not _REFERENCE.match(text.strip()):
        raise ValueError("a secret must be an environment variable reference such as ${SLACK_WEBHOOK_URL} "
                         "(or use the matching *_file key with a path); never the value itself")
    return text.strip()


@dataclass(frozen=True)
class Secret:
    """Where a secret lives: an environment variable or a file. `str()` shows where, never what."""

    variable: str | None = None
    file: Path | None = None

    @classmethod
    def of(cls, reference: str | None, file: Path | None) -> Secret | None:
        if reference:
            match = _REFERENCE.match(reference)
            assert match, "validated at load"
            return cls(variable=match.group(1))
        return cls(file=file) if file else None

    def reveal(self) -> str:
        """The value, read now. A missing variable or file is a permanent delivery error naming it."""
        if self.variable:
            value = os.environ.get(self.variable)
            if not value:
                raise DeliveryError(f"environment variable {self.variable} is not set", retriable=False)
            return value.strip()
        assert self.file is not None
        try:
            return self.file.read_text().strip()
        except OSError as error:
            raise DeliveryError(f"can't read secret file {self.file}: {error.strerror}", retriable=False) from None

    def __str__(self) -> str:
        return f"${{{self.variable}}}" if self.variable else f"file {self.file}"


def expand(text: str) -> str:
    """Replace every `${NAME}` in `text` by the variable's value, read now (a missing one is an error)."""
    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in os.environ:
            raise DeliveryError(f"environment variable {name} is not set", retriable=False)
        return os.environ[name]

    return _EMBEDDED.sub(value, text)
