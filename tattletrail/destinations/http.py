"""The delivery rules every HTTP destination shares, on top of `tattletrail.httpclient`.

429, 408 and 5xx (and no answer at all: timeouts, refused connections, TLS or proxy failures) are
retriable, with Retry-After honoured; any other status is permanent, and a redirect is refused
rather than followed to another host. Messages name the destination's host at most, never the URL's
path or query, which is where webhook tokens live.
"""

from __future__ import annotations

from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

import requests

from tattletrail.destinations.base import DeliveryError
from tattletrail.httpclient import HttpClient, Unreachable, host_of

RETRIABLE_STATUSES = frozenset({408, 429})


def post(client: HttpClient, url: str, body: bytes, headers: dict[str, str], timeout: float) -> bytes:
    """POST `body` once; return the response body of a 2xx or raise DeliveryError."""
    try:
        response = client.post(url, data=body, headers=headers, timeout=timeout)
    except Unreachable as error:
        raise DeliveryError(str(error), retriable=True) from None
    except ValueError as error:
        raise DeliveryError(str(error), retriable=False) from None
    if response.status_code >= 300:
        raise _status_error(response, host_of(url))
    return response.content


def _status_error(response: requests.Response, host: str) -> DeliveryError:
    status = response.status_code
    detail = response.content[:300].decode("utf-8", "replace").strip()
    message = f"HTTP {status} from {host}" + (f": {detail}" if detail else "")
    if status in RETRIABLE_STATUSES or status >= 500:
        return DeliveryError(message, retriable=True, retry_after=retry_after(response.headers.get("Retry-After")))
    if 300 <= status < 400:
        message += " (redirects are not followed: use the final URL)"
    return DeliveryError(message, retriable=False)


def retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Retry-After in seconds: either a number of seconds (fractions accepted) or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.replace(".", "", 1).isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - (now or datetime.now(timezone.utc))).total_seconds())
