"""One typed model per destination type, validated when the config file is loaded.

`destinations:` in the config maps a name to one of these, chosen by `type`. Secrets are
references (`${VAR}` or a `*_file` path, see secrets.py); templates are checked for syntax here,
so a mistake is reported as `tattletrail.yml:LINE: …` before any alert is at stake.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Literal, Union
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from tattletrail.destinations.secrets import Secret, check_reference
from tattletrail.destinations.templates import check_template
from tattletrail.timespec import parse_duration


def _duration(value: Any) -> Any:
    return parse_duration(value) if isinstance(value, str) else value


SecretReference = Annotated[str, AfterValidator(check_reference)]
Template = Annotated[str, AfterValidator(check_template)]
Duration = Annotated[timedelta, BeforeValidator(_duration)]


class DestinationSettings(BaseModel):
    """What every destination has: delivery policy and an optional message template."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    timeout: float = Field(10.0, gt=0, description="seconds one attempt may take")
    attempts: int = Field(3, ge=1, le=10, description="tries within one delivery before the outbox takes over")
    backoff: float = Field(1.0, ge=0, description="first wait between tries, in seconds; doubles each time")
    max_age: Duration = Field(timedelta(hours=24), description="an undelivered alert older than this is given up")

    def secret_source(self, field: str) -> Secret | None:
        return Secret.of(getattr(self, field), getattr(self, f"{field}_file"))

    def target(self) -> str:
        """Where alerts go, for `destinations list`: never a secret, never a full webhook URL."""
        return ""


def _one_of(settings: DestinationSettings, field: str, required: bool = True) -> None:
    given = [name for name in (field, f"{field}_file") if getattr(settings, name) is not None]
    if len(given) > 1:
        raise ValueError(f"give either {field} or {field}_file, not both")
    if required and not given:
        raise ValueError(f"{field} is required (an environment variable reference such as ${{MY_VAR}}, "
                         f"or {field}_file with a path)")


def _existing_file(path: Path | None) -> Path | None:
    if path is not None and not path.is_file():
        raise ValueError(f"{path}: no such file (ca_certs is a PEM bundle of the CA certificates to trust)")
    return path


class HttpSettings(DestinationSettings):
    """What every destination that speaks HTTP has: a private CA to trust. Proxies come from the
    standard environment variables (HTTPS_PROXY, HTTP_PROXY, NO_PROXY), as for any HTTP client."""

    ca_certs: Annotated[Path | None, AfterValidator(_existing_file)] = Field(
        None, description="PEM file of CA certificates to trust instead of the system's (a private CA)")


class StdoutSettings(DestinationSettings):
    type: Literal["stdout"]


class JsonLinesSettings(DestinationSettings):
    type: Literal["jsonl"]
    path: Path

    def target(self) -> str:
        return str(self.path)


class SlackSettings(HttpSettings):
    type: Literal["slack"]
    url: SecretReference | None = None          # the incoming webhook URL is itself the secret
    url_file: Path | None = None
    max_samples: int = Field(10, ge=0, le=500)  # sample lines shown; the rest are counted ("and 190 more")
    template: Template | None = None            # replaces the message text under the header

    @model_validator(mode="after")
    def _url_given(self) -> SlackSettings:
        _one_of(self, "url")
        return self

    def target(self) -> str:
        return f"webhook URL from {self.secret_source('url')}"


class WebhookSettings(HttpSettings):
    type: Literal["webhook"]
    url: str                                    # may contain ${VAR} references, expanded at use
    headers: dict[str, str] = {}                # values may contain ${VAR} references
    secret: SecretReference | None = None       # HMAC-SHA256 key: X-Tattletrail-Signature
    secret_file: Path | None = None
    template: Template | None = None            # replaces the JSON body (then content_type applies)
    content_type: str = "application/json"

    @model_validator(mode="after")
    def _secret_once(self) -> WebhookSettings:
        _one_of(self, "secret", required=False)
        return self

    def target(self) -> str:
        host = urlsplit(self.url).hostname or ""
        where = host if host and "$" not in host else "a URL from the environment"
        secret = self.secret_source("secret")
        return f"POST to {where}" + (f", signed with the key from {secret}" if secret else "")


class SnsSettings(DestinationSettings):
    type: Literal["sns"]
    topic_arn: str = Field(pattern=r"^arn:aws[a-z-]*:sns:")
    region: str | None = None                   # default: the topic ARN's region
    endpoint_url: str | None = None             # e.g. a local moto or LocalStack
    max_samples: int = Field(20, ge=0, le=500)
    subject: Template | None = None             # at most 100 ASCII characters once rendered
    template: Template | None = None            # the message text

    def target(self) -> str:
        return self.topic_arn


class SesSettings(DestinationSettings):
    type: Literal["ses"]
    sender: str = Field(pattern=r"@")           # a verified SES identity
    to: list[Annotated[str, Field(pattern=r"@")]] = Field(min_length=1)
    region: str | None = None
    endpoint_url: str | None = None
    max_samples: int = Field(20, ge=0, le=500)
    subject: Template | None = None
    template: Template | None = None            # the text part
    html_template: Template | None = None       # the HTML part (autoescaped)

    def target(self) -> str:
        return f"{self.sender} → {', '.join(self.to)}"


class PagerDutySettings(HttpSettings):
    type: Literal["pagerduty"]
    routing_key: SecretReference | None = None  # the Events API v2 integration key
    routing_key_file: Path | None = None
    url: str = "https://events.pagerduty.com/v2/enqueue"
    warning: bool = False                       # also trigger on WARNING (severity warning)
    source: str = "tattletrail"
    template: Template | None = None            # the incident summary (at most 1024 characters)

    @model_validator(mode="after")
    def _key_given(self) -> PagerDutySettings:
        _one_of(self, "routing_key")
        return self

    def target(self) -> str:
        return f"{urlsplit(self.url).hostname}, routing key from {self.secret_source('routing_key')}"


AnyDestinationSettings = Annotated[
    Union[StdoutSettings, JsonLinesSettings, SlackSettings, WebhookSettings, SnsSettings, SesSettings,
          PagerDutySettings],
    Field(discriminator="type"),
]
