"""Store URLs → an opensearch-py client, and what kind of cluster answers.

    opensearch://localhost:9200                         plain HTTP, no auth (a local dev cluster)
    opensearch+https://admin@search.example.com:9200    HTTPS, basic auth, password from
                                                        $TATTLETRAIL_OPENSEARCH_PASSWORD or ?password_file=
    opensearch+https://search-x.eu-west-1.es.amazonaws.com?aws=es&region=eu-west-1
                                                        Amazon OpenSearch Service, SigV4 (`aoss`: Serverless)

Query parameters: ca_certs (a CA bundle), verify=false (don't), timeout (seconds, default 30),
prefix (index name prefix, default `tattletrail`), period (month|day: one events index per
eventTime month or day), retention_days (what the ISM/ILM policy deletes after, default 365),
aws / region (SigV4). The password never appears in `redacted_url` or in any error message.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

from tattletrail.errors import TattletrailError
from tattletrail.stores.base import StoreUnavailable

ENV_PASSWORD = "TATTLETRAIL_OPENSEARCH_PASSWORD"
SCHEMES = {"opensearch": "http", "opensearch+https": "https"}
_KNOWN_PARAMETERS = {"ca_certs", "verify", "timeout", "prefix", "period", "retention_days", "aws", "region",
                     "password_file"}


class OpenSearchURLError(TattletrailError, ValueError):
    """A store URL for OpenSearch that can't be used as written; the message says how to fix it."""


@dataclass(frozen=True)
class ConnectionSettings:
    """Everything a store URL says, checked. Built only by `parse_store_url`."""

    scheme: str  # http or https
    host: str
    port: int
    username: str | None
    password: str | None
    ca_certs: str | None
    verify: bool
    timeout: float
    prefix: str
    period: str  # "month" or "day"
    retention_days: int
    aws_service: str | None  # "es" or "aoss"
    aws_region: str | None
    redacted_url: str

    def __repr__(self) -> str:  # never print the password, even in a traceback's locals
        return f"ConnectionSettings({self.redacted_url!r})"


@dataclass(frozen=True)
class Engine:
    """What answered: decides the payload field type and the lifecycle API."""

    distribution: str  # "opensearch" or "elasticsearch"
    version: str

    @property
    def payload_type(self) -> str:
        return "flat_object" if self.distribution == "opensearch" else "flattened"

    @property
    def lifecycle(self) -> str:
        return "ism" if self.distribution == "opensearch" else "ilm"

    @property
    def ilm_policy_meta(self) -> bool:
        """Elasticsearch accepts `_meta` in an ILM policy from 7.14 on; older ones refuse the policy."""
        return self.distribution == "elasticsearch" and _version_tuple(self.version) >= (7, 14)

    def describe(self) -> str:
        return f"{self.distribution} {self.version}"


def _version_tuple(version: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in version.split("-")[0].split(".")[:2])
    except ValueError:
        return ()


def parse_store_url(url: str, environ: dict[str, str] | None = None) -> ConnectionSettings:
    environ = dict(os.environ) if environ is None else environ
    parsed = urlparse(url)
    if parsed.scheme not in SCHEMES:
        raise OpenSearchURLError(f"{_redact(url)}: use opensearch://host:9200 or opensearch+https://user@host:9200")
    if not parsed.hostname:
        raise OpenSearchURLError(f"{_redact(url)}: name the host, e.g. opensearch://localhost:9200")
    parameters = {key: values[-1] for key, values in parse_qs(parsed.query).items()}
    unknown = set(parameters) - _KNOWN_PARAMETERS
    if unknown:
        raise OpenSearchURLError(f"{_redact(url)}: unknown parameter(s) {', '.join(sorted(unknown))}; "
                                 f"known: {', '.join(sorted(_KNOWN_PARAMETERS))}")
    scheme = SCHEMES[parsed.scheme]
    username = unquote(parsed.username) if parsed.username else None
    password = _password(parsed, parameters, environ, url) if username else None
    aws_service = parameters.get("aws")
    if aws_service not in (None, "es", "aoss"):
        raise OpenSearchURLError(f"{_redact(url)}: aws={aws_service} — use aws=es (OpenSearch Service) "
                                 "or aws=aoss (OpenSearch Serverless)")
    if aws_service and username:
        raise OpenSearchURLError(f"{_redact(url)}: give either a user (basic auth) or aws=… (SigV4), not both")
    period = parameters.get("period", "month")
    if period not in ("month", "day"):
        raise OpenSearchURLError(f"{_redact(url)}: period={period} — use period=month or period=day")
    prefix = parameters.get("prefix", "tattletrail")
    if not prefix or prefix != prefix.lower() or prefix.startswith(("_", "-")) or "*" in prefix:
        raise OpenSearchURLError(f"{_redact(url)}: prefix={prefix!r} — index names are lower case and "
                                 "don't start with _ or -")
    return ConnectionSettings(
        scheme=scheme, host=parsed.hostname, port=parsed.port or (443 if scheme == "https" else 9200),
        username=username, password=password, ca_certs=parameters.get("ca_certs"),
        verify=parameters.get("verify", "true").lower() not in ("false", "0", "no"),
        timeout=_number(parameters, "timeout", 30.0, url), prefix=prefix, period=period,
        retention_days=int(_number(parameters, "retention_days", 365, url)),
        aws_service=aws_service, aws_region=parameters.get("region") or environ.get("AWS_REGION"),
        redacted_url=_redact(url))


def _password(parsed: Any, parameters: dict[str, str], environ: dict[str, str], url: str) -> str:
    if parsed.password:
        raise OpenSearchURLError(f"{_redact(url)}: don't put the password in the URL (it ends up in shell "
                                 f"history and logs); set {ENV_PASSWORD} or add ?password_file=/path")
    if "password_file" in parameters:
        path = Path(parameters["password_file"]).expanduser()
        try:
            return path.read_text().strip()
        except OSError as error:
            raise OpenSearchURLError(f"{_redact(url)}: can't read password_file {path}: {error.strerror}") from None
    if ENV_PASSWORD in environ:
        return environ[ENV_PASSWORD]
    raise OpenSearchURLError(f"{_redact(url)}: user {unquote(parsed.username)!r} needs a password: "
                             f"set {ENV_PASSWORD} or add ?password_file=/path")


def _number(parameters: dict[str, str], name: str, default: float, url: str) -> float:
    try:
        value = float(parameters.get(name, default))
    except ValueError:
        raise OpenSearchURLError(f"{_redact(url)}: {name}={parameters[name]!r} is not a number") from None
    if value <= 0:
        raise OpenSearchURLError(f"{_redact(url)}: {name} must be positive")
    return value


def _redact(url: str) -> str:
    parsed = urlparse(url)
    if parsed.password is None:
        return url
    netloc = parsed.netloc.replace(f":{parsed.password}@", ":***@", 1)
    return parsed._replace(netloc=netloc).geturl()


def make_client(settings: ConnectionSettings) -> Any:
    """An opensearch-py client that does no retrying of its own: bulk.py decides that."""
    from opensearchpy import OpenSearch, RequestsHttpConnection

    options: dict[str, Any] = {
        "hosts": [{"host": settings.host, "port": settings.port, "scheme": settings.scheme}],
        "use_ssl": settings.scheme == "https", "verify_certs": settings.verify, "ssl_show_warn": settings.verify,
        "timeout": settings.timeout, "max_retries": 0, "retry_on_timeout": False, "http_compress": False,
    }
    if settings.ca_certs:
        options["ca_certs"] = settings.ca_certs
    if settings.username:
        options["http_auth"] = (settings.username, settings.password)
    if settings.aws_service:
        options["http_auth"] = _aws_auth(settings)
        options["connection_class"] = RequestsHttpConnection
        options["pool_maxsize"] = 4
    return OpenSearch(**options)


def _aws_auth(settings: ConnectionSettings) -> Any:
    import boto3
    from opensearchpy import AWSV4SignerAuth

    if not settings.aws_region:
        raise OpenSearchURLError(f"{settings.redacted_url}: SigV4 needs a region: add &region=eu-west-1 "
                                 "or set AWS_REGION")
    credentials = boto3.Session().get_credentials()
    if credentials is None:
        raise OpenSearchURLError(f"{settings.redacted_url}: no AWS credentials found (environment, "
                                 "~/.aws, instance role); SigV4 needs them")
    return AWSV4SignerAuth(credentials, settings.aws_region, settings.aws_service or "es")


def detect_engine(client: Any, settings: ConnectionSettings) -> Engine:
    """OpenSearch or Elasticsearch, from the cluster info (`GET /`); Serverless has no info call."""
    if settings.aws_service == "aoss":
        return Engine("opensearch", "serverless")
    from opensearchpy.exceptions import AuthenticationException, AuthorizationException, TransportError

    try:
        info = client.info()
    except (AuthenticationException, AuthorizationException) as error:
        raise StoreUnavailable(f"{settings.redacted_url}: the cluster refused our credentials "
                               f"({error.status_code}); check the user and password (or IAM role)") from None
    except TransportError as error:
        raise StoreUnavailable(f"{settings.redacted_url}: " + (unavailable_cluster(error) or (
            f"can't reach the cluster ({_short(error)}); is it running, and are host, port and http/https "
            "right?"))) from None
    version = info.get("version", {})
    return Engine(version.get("distribution", "elasticsearch"), str(version.get("number", "?")))


def unavailable_cluster(error: Exception) -> str | None:
    """What to tell the user about a client error that means the cluster can't be used as it is
    (unreachable, credentials refused, not set up), with the fix; None for any other error."""
    from opensearchpy.exceptions import (AuthenticationException, AuthorizationException, ConnectionError,
                                         NotFoundError)

    if isinstance(error, (AuthenticationException, AuthorizationException)):
        return (f"the cluster refused our credentials ({error.status_code}); check the user and password "
                f"({ENV_PASSWORD} or ?password_file=) or the IAM role, then `tattletrail doctor --store URL`")
    if isinstance(error, ConnectionError):
        text = str(error)
        where = re.search(r"host='([^']+)', port=(\d+)", text)
        why = re.search(r"\[Errno -?\d+\] ([^)\]]+)|(timed out|Name or service not known)", text)
        at = f" at {where.group(1)}:{where.group(2)}" if where else ""
        because = f" ({(why.group(1) or why.group(2)).strip().lower()})" if why else ""
        return (f"can't reach the cluster{at}{because}: is it running, and are host, port and http/https "
                "right? `tattletrail doctor --store URL` checks")
    if isinstance(error, NotFoundError) and error.error == "index_not_found_exception":
        return ("the cluster has no Tattletrail indices yet: run `tattletrail setup --store URL` once "
                "(it installs the index templates), then ingest")
    return None


def _short(error: Exception) -> str:
    text = str(error)
    return text if len(text) < 200 else text[:200] + "…"
