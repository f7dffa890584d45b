"""Every outgoing HTTP request goes through here: one `requests.Session` per destination (or per
import), so a burst of alerts reuses its connection; proxies (`HTTPS_PROXY`, `HTTP_PROXY`,
`NO_PROXY`) and a CA bundle (`REQUESTS_CA_BUNDLE`, or `ca_certs` per destination) are honoured as
in any `requests` program; redirects are never followed.

The session makes exactly one attempt per call: the callers own the retry policy (the delivery
dispatcher waits between tries on an event that SIGTERM sets, and keeps what is undelivered in the
outbox; the Dashboards importer retries until a deadline), so urllib3's own retries are switched
off rather than stacked under theirs. Messages name the host at most, never the URL's path or
query, which is where webhook tokens live.
"""

from __future__ import annotations

import logging
import ssl
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from tattletrail.errors import TattletrailError

USER_AGENT = "tattletrail"
# One attempt, no redirects followed: a 3xx comes back as a response for the caller to refuse.
ONE_ATTEMPT = Retry(total=0, connect=0, read=0, redirect=0, status=0, other=0,
                    raise_on_redirect=False, raise_on_status=False)

# urllib3 logs every request line at DEBUG — a webhook's path is its token. Nothing it logs at INFO
# and above names a path, so its DEBUG records are dropped whatever level the root logger has.
logging.getLogger("urllib3.connectionpool").setLevel(logging.INFO)


class Unreachable(TattletrailError):
    """No HTTP answer at all (refused, reset, timed out, TLS or proxy failure): worth retrying.
    The message names the host only."""


class HttpClient:
    """A session for one destination: connection reuse, environment proxies, an optional CA bundle."""

    def __init__(self, ca_certs: Path | str | None = None) -> None:
        self.session = requests.Session()
        self.session.headers["User-Agent"] = USER_AGENT
        self.session.max_redirects = 0
        if ca_certs is not None:
            self.session.verify = str(ca_certs)
        adapter = HTTPAdapter(max_retries=ONE_ATTEMPT)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)

    def post(self, url: str, *, timeout: float, data: bytes | None = None, headers: dict[str, str] | None = None,
             files: dict[str, Any] | None = None, auth: tuple[str, str] | None = None,
             host: str | None = None) -> requests.Response:
        """POST once; any HTTP status comes back as a response (redirects unfollowed). Raises
        `Unreachable` when no answer came, ValueError for a URL requests can't use. `host` is how
        messages name the server (default: the URL's host name)."""
        host = host or host_of(url)
        try:
            return self.session.post(url, data=data, headers=headers, files=files, auth=auth,
                                     timeout=timeout, allow_redirects=False)
        except (requests.exceptions.InvalidSchema, requests.exceptions.MissingSchema,
                requests.exceptions.InvalidURL):
            raise ValueError("the URL is not valid: expected http:// or https://") from None
        except requests.exceptions.Timeout:
            raise Unreachable(f"no answer from {host} within {timeout:g} s") from None
        except requests.exceptions.ProxyError as error:
            raise Unreachable(f"the proxy for {host} failed: {_root_reason(error)}") from None
        except requests.exceptions.SSLError as error:
            raise Unreachable(f"TLS with {host} failed: {_root_reason(error)} (a private CA? set ca_certs "
                              "or REQUESTS_CA_BUNDLE)") from None
        except requests.exceptions.ConnectionError as error:
            raise Unreachable(f"can't reach {host}: {_root_reason(error)}") from None

    def close(self) -> None:
        self.session.close()


def host_of(url: str) -> str:
    try:
        return urlsplit(url).hostname or "the destination"
    except ValueError:
        return "the destination"


def _root_reason(error: BaseException) -> str:
    """The innermost cause's own words (`Connection refused`, `certificate verify failed: …`):
    requests' and urllib3's outer messages quote the URL's path, so they are never shown."""
    seen: set[int] = set()
    stack: list[BaseException] = [error]
    best = type(error).__name__
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, ssl.SSLCertVerificationError):
            return f"certificate verify failed: {current.verify_message}"
        if isinstance(current, ssl.SSLError):
            return str(current.reason or "TLS error")
        if isinstance(current, OSError) and current.strerror:
            best = current.strerror
        stack += [item for item in (current.__cause__, current.__context__, getattr(current, "reason", None),
                                    *current.args) if isinstance(item, BaseException)]
    return best
