"""One HTTP POST with the delivery rules every HTTP destination shares.

429 and 5xx (and timeouts, refused connections) are retriable, with Retry-After honoured; any other
status is permanent. Messages name the destination and the host at most, never the URL's path or
query, which is where webhook tokens live.
"""

from __future__ import annotations

import socket
import urllib.error
import urllib.request
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

from tattletrail.destinations.base import DeliveryError

USER_AGENT = "tattletrail"


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirected alert is not delivered: say so instead of following it to another host."""

    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirects)


def post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> bytes:
    """POST `body`; return the response body of a 2xx or raise DeliveryError."""
    host = _host(url)
    request = urllib.request.Request(url, data=body, method="POST",
                                     headers={"User-Agent": USER_AGENT, **headers})
    try:
        with _opener.open(request, timeout=timeout) as response:
            return response.read()
    except urllib.error.HTTPError as error:
        raise _status_error(error, host) from None
    except (TimeoutError, socket.timeout):
        raise DeliveryError(f"no answer from {host} within {timeout:g} s", retriable=True) from None
    except urllib.error.URLError as error:
        reason = error.reason
        if isinstance(reason, (TimeoutError, socket.timeout)):
            raise DeliveryError(f"no answer from {host} within {timeout:g} s", retriable=True) from None
        raise DeliveryError(f"can't reach {host}: {_reason(reason)}", retriable=True) from None
    except (ConnectionError, OSError) as error:
        raise DeliveryError(f"connection to {host} failed: {error.strerror or type(error).__name__}",
                            retriable=True) from None
    except ValueError:
        raise DeliveryError("the URL is not valid: expected http:// or https://", retriable=False) from None


def _status_error(error: urllib.error.HTTPError, host: str) -> DeliveryError:
    status = error.code
    try:
        detail = error.read(300).decode("utf-8", "replace").strip()
    except OSError:
        detail = ""
    message = f"HTTP {status} from {host}" + (f": {detail}" if detail else "")
    if status == 429 or status >= 500 or status == 408:
        return DeliveryError(message, retriable=True, retry_after=retry_after(error.headers.get("Retry-After")))
    if 300 <= status < 400:
        message += " (redirects are not followed: use the final URL)"
    return DeliveryError(message, retriable=False)


def retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Retry-After in seconds: either a number of seconds or an HTTP date."""
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


def _host(url: str) -> str:
    try:
        return urlsplit(url).hostname or "the destination"
    except ValueError:
        return "the destination"


def _reason(reason: object) -> str:
    if isinstance(reason, OSError) and reason.strerror:
        return reason.strerror
    return str(reason)
