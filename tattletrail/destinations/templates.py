"""Message templates: Jinja2 in a sandbox, so a config file can shape a message but not run code.

Every template sees the same names (documented in docs/destinations.md): `alert` (the Alert),
`payload` (its versioned JSON), `title`, `status`, `samples` (readable lines), `more`, `explore`.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from jinja2 import StrictUndefined, Template, TemplateError, TemplateSyntaxError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from tattletrail.alert import Alert
from tattletrail.destinations.base import DeliveryError


@lru_cache(maxsize=2)
def _environment(html: bool) -> ImmutableSandboxedEnvironment:
    return ImmutableSandboxedEnvironment(autoescape=html, undefined=StrictUndefined,
                                         trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=False)


@lru_cache(maxsize=64)
def _compiled(template: str, html: bool) -> Template:
    return _environment(html).from_string(template)


def check_template(text: str) -> str:
    """Validator: a template with a syntax error is a config error (with its line), not a lost alert."""
    try:
        _environment(False).parse(text)
    except TemplateSyntaxError as error:
        raise ValueError(f"template line {error.lineno}: {error.message}") from None
    return text


def template_context(alert: Alert) -> dict[str, Any]:
    from tattletrail.destinations.content import summarize

    summary = summarize(alert, max_samples=len(alert.samples))
    return {"alert": alert, "payload": alert.to_json(), "title": alert.title, "status": summary.status_label,
            "samples": list(summary.sample_lines), "more": summary.more,
            "explore": alert.explore_url or alert.explore_command}


def render(template: str, alert: Alert, *, html: bool = False) -> str:
    """Render a template for one alert; a runtime error (unknown name, sandbox refusal) is permanent."""
    try:
        return _compiled(template, html).render(template_context(alert)).strip()
    except TemplateError as error:
        raise DeliveryError(f"template failed: {error}", retriable=False) from None
