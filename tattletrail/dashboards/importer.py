"""Import saved objects through the Dashboards/Kibana saved-objects API (`_import?overwrite=true`).

Dashboards answers 503 ("server is not ready yet") or refuses connections for a while after it
starts — in docker-compose the import runs right then — so connection failures and 5xx are retried
until a deadline. The upload is `requests`' own multipart `files=`; proxies and a CA bundle come
from the environment (or `ca_certs`), as for the HTTP destinations. Any other status is final. The clock and the sleep are passed in, so tests wait
for nothing.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any, Callable
from urllib.parse import quote, urlsplit

from tattletrail.dashboards.export import Flavor
from tattletrail.errors import TattletrailError
from tattletrail.httpclient import HttpClient, Unreachable

UPLOAD_NAME = "tattletrail.ndjson"  # the API insists on the .ndjson extension
FIRST_PAUSE, LONGEST_PAUSE = 1.0, 10.0


class DashboardsImportError(TattletrailError):
    """The import could not be done at all (as opposed to some objects refused, see ImportResult)."""


@dataclass(frozen=True)
class RefusedObject:
    type: str
    id: str
    title: str
    reason: str

    def as_dict(self) -> dict[str, str]:
        return {"type": self.type, "id": self.id, "title": self.title, "reason": self.reason}


@dataclass(frozen=True)
class ImportResult:
    success: bool
    success_count: int
    refused: list[RefusedObject] = field(default_factory=list)
    attempts: int = 1

    def as_dict(self) -> dict[str, Any]:
        return {"success": self.success, "successCount": self.success_count,
                "errors": [item.as_dict() for item in self.refused], "attempts": self.attempts}


@dataclass(frozen=True)
class Target:
    """Where to import: the Dashboards base URL, the flavor (for the XSRF header), a Kibana space."""

    url: str
    flavor: Flavor
    space: str | None = None
    user: str | None = None
    password: str | None = None
    timeout: float = 30.0
    ca_certs: str | None = None   # a private CA's PEM bundle; else REQUESTS_CA_BUNDLE or the system's

    def endpoint(self) -> str:
        base = self.url.rstrip("/")
        space = f"/s/{quote(self.space, safe='')}" if self.space else ""
        return f"{base}{space}/api/saved_objects/_import?overwrite=true"

    def host(self) -> str:
        """host:port, for messages: never the user info a URL might carry."""
        parts = urlsplit(self.url)
        return f"{parts.hostname}:{parts.port}" if parts.port else str(parts.hostname or self.url)


def import_objects(target: Target, ndjson: str, *, wait: float = 120.0,
                   sleep: Callable[[float], None] = time.sleep,
                   clock: Callable[[], float] = time.monotonic) -> ImportResult:
    """POST the NDJSON; retry connection failures and 5xx for up to `wait` seconds."""
    if urlsplit(target.url).scheme not in ("http", "https") or not urlsplit(target.url).netloc:
        raise DashboardsImportError(f"{target.url!r}: give the Dashboards URL with its scheme, "
                                    "e.g. http://localhost:5601")
    client, upload = HttpClient(target.ca_certs), ndjson.encode()
    try:
        return _import_until(client, target, upload, wait, sleep, clock)
    finally:
        client.close()


def _import_until(client: HttpClient, target: Target, upload: bytes, wait: float,
                  sleep: Callable[[float], None], clock: Callable[[], float]) -> ImportResult:
    deadline, pause, attempts = clock() + wait, FIRST_PAUSE, 0
    while True:
        attempts += 1
        try:
            status, answer = _post(client, target, upload)
        except Unreachable as problem:
            why = str(problem)
        else:
            if status < 500:
                return _result(status, answer, target, attempts)
            why = f"{target.host()} answered {status}: {_message(answer)}"
        if clock() + pause > deadline:
            raise DashboardsImportError(f"gave up after {attempts} attempt(s) in {wait:g} s: {why}; "
                                        "is Dashboards up at that URL? (--wait gives it longer)")
        sleep(pause)
        pause = min(pause * 2, LONGEST_PAUSE)


def _post(client: HttpClient, target: Target, ndjson: bytes) -> tuple[int, bytes]:
    auth = (target.user, target.password or "") if target.user is not None else None
    response = client.post(target.endpoint(), timeout=target.timeout, auth=auth, host=target.host(),
                           headers={target.flavor.xsrf_header: "true"},
                           files={"file": (UPLOAD_NAME, ndjson, "application/ndjson")})
    return response.status_code, response.content


def _result(status: int, answer: bytes, target: Target, attempts: int) -> ImportResult:
    if status in (401, 403):
        raise DashboardsImportError(f"{target.host()} answered {status}: {_message(answer)}; give --user and "
                                    "$TATTLETRAIL_DASHBOARDS_PASSWORD of a user allowed to manage saved objects")
    if status == 404:
        raise DashboardsImportError(f"{target.host()} has no saved-objects API at {urlsplit(target.endpoint()).path}"
                                    " (404): is this the Dashboards/Kibana URL, with its base path, and the space?")
    if status >= 300:
        raise DashboardsImportError(f"{target.host()} refused the import ({status}): {_message(answer)}")
    try:
        document = json.loads(answer)
    except ValueError:
        raise DashboardsImportError(f"{target.host()} answered {status} without JSON: {answer[:200]!r}") from None
    refused = [RefusedObject(str(item.get("type", "?")), str(item.get("id", "?")),
                             str(item.get("title") or item.get("meta", {}).get("title") or ""),
                             _reason(item.get("error", {})))
               for item in document.get("errors") or []]
    return ImportResult(bool(document.get("success")), int(document.get("successCount", 0)), refused, attempts)


def _reason(error: dict[str, Any]) -> str:
    """One line for an object's import error (missing_references, conflict, unsupported_type, …)."""
    kind = str(error.get("type", "unknown"))
    if kind == "missing_references":
        missing = ", ".join(f"{item.get('type')} {item.get('id')}" for item in error.get("references", []))
        return f"missing_references: {missing}"
    detail = error.get("message") or error.get("reason") or ""
    return f"{kind}: {detail}" if detail else kind


def _message(answer: bytes) -> str:
    try:
        document = json.loads(answer)
    except ValueError:
        return answer[:200].decode("utf-8", "replace").strip() or "(empty body)"
    if isinstance(document, dict):
        return str(document.get("message") or document.get("error") or document)[:300]
    return str(document)[:300]
