"""`check es-query-count` against the Elasticsearch/OpenSearch cluster at `-h`, as the plugin asks it.

This is not one of our stores: it is whatever cluster the Sensu check queried (often Logstash's
`logstash-%Y.%m.%d` indices), so the request is the plugin's own — a `_count` over the indices
`-d` expands to over the window, with a `query_string` (`default_field` from -f) and a strict range
on the timestamp field — and the cluster, not our query compiler, reads the Lucene. The
connection goes through the one door for OpenSearch URLs (parse_store_url, make_client).
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote, urlencode

from tattletrail.checks.sensu import PluginWindow
from tattletrail.checks.sensu_flags import PluginArgumentError, PluginOptions
from tattletrail.errors import TattletrailError
from tattletrail.stores.base import StoreUnavailable
from tattletrail.stores.opensearch.connection import ENV_PASSWORD, make_client, parse_store_url

DAY = timedelta(days=1)
HOUR = timedelta(hours=1)


class IndexNotFound(TattletrailError, RuntimeError):
    """The cluster answered 404: the plugin's own rescue decides the verdict."""


def index_names(options: PluginOptions, window: PluginWindow | None, end: datetime) -> str:
    """-i as given; else -d expanded with strftime from the window's start to its end in steps of a
    day (an hour with --repeat-hourly), plus the end's own name; else every index (`_all`)."""
    if options.index is not None:
        return options.index
    if options.date_index is None:
        return "_all"
    step = HOUR if options.date_repeat_hourly else DAY
    moment = window.start if window is not None else end
    names: list[str] = []
    while moment <= end:
        names.append(moment.strftime(options.date_index))
        moment += step
    names.append(end.strftime(options.date_index))
    return ",".join(dict.fromkeys(names))


def request_body(options: PluginOptions, window: PluginWindow | None) -> dict[str, Any] | None:
    """The plugin's count request; without a window it sends none and counts every document."""
    if window is None:
        return None
    return {"query": {"bool": {"must": [
        {"query_string": {"default_field": options.search_field, "query": options.query}},
        {"range": {options.timestamp_field: {"gt": window.start.strftime("%Y-%m-%dT%H:%M:%S"),
                                             "lt": window.end.strftime("%Y-%m-%dT%H:%M:%S")}}},
    ]}}}


def cluster_url(options: PluginOptions, environ: dict[str, str] | None = None) -> tuple[str, dict[str, str]]:
    """An OpenSearch URL for the cluster (the password goes beside it, never into it). As in the
    plugin, a user without a password means no authentication; the password may also come from
    $TATTLETRAIL_OPENSEARCH_PASSWORD, which keeps it out of the process list."""
    environ = dict(os.environ) if environ is None else environ
    password = (options.password or environ.get(ENV_PASSWORD)) if options.user is not None else None
    authenticated = password is not None
    scheme = options.scheme or ("https" if authenticated else "http")
    if scheme not in ("http", "https"):
        raise PluginArgumentError(f"-s {scheme}: use http or https")
    parameters: dict[str, str] = {"timeout": str(options.timeout)}
    if options.cert_file:
        parameters["ca_certs"] = options.cert_file
    if options.skip_verify:
        parameters["verify"] = "false"
    if (options.transport or "").upper() == "AWS":
        parameters["aws"] = "es"
        if options.region:
            parameters["region"] = options.region
    user = f"{quote(options.user, safe='')}@" if authenticated and options.user else ""
    prefix = "opensearch+https" if scheme == "https" else "opensearch"
    url = f"{prefix}://{user}{options.host}:{options.port}?{urlencode(parameters)}"
    return url, {ENV_PASSWORD: password} if password is not None else {}


def count_on_cluster(options: PluginOptions, window: PluginWindow | None, end: datetime) -> int:
    """The count the cluster answers; IndexNotFound on a 404, StoreUnavailable when it can't answer."""
    from opensearchpy.exceptions import ConnectionError as Unreachable
    from opensearchpy.exceptions import NotFoundError, TransportError

    url, environ = cluster_url(options)
    client = make_client(parse_store_url(url, environ))
    request: dict[str, Any] = {"index": index_names(options, window, end),
                               "ignore_unavailable": options.ignore_unavailable}
    body = request_body(options, window)
    if body is not None:
        request["body"] = body
    if options.written("headers"):
        request["headers"] = request_headers(options.headers)
    try:
        return int(client.count(**request)["count"])
    except NotFoundError as error:
        raise IndexNotFound(f"{options.host}:{options.port} answered 404 ({error.error})") from None
    except Unreachable:
        raise StoreUnavailable(f"can't reach {url_without_query(url)}: is it running, and are -h, -p and -s "
                               "right?") from None
    except TransportError as error:
        raise StoreUnavailable(f"{options.host}:{options.port} refused the count "
                               f"({error.status_code}: {str(error.error)[:200]})") from None
    finally:
        client.close()


def request_headers(text: str) -> dict[str, str]:
    """-H as the plugin splits it: `Name: value` pairs separated by commas."""
    headers = {}
    for pair in text.split(","):
        name, separator, value = pair.partition(":")
        if not separator or not name.strip():
            raise PluginArgumentError(f"-H {text!r}: write headers as 'Name: value', comma-separated")
        headers[name.strip()] = value.strip()
    return headers


def url_without_query(url: str) -> str:
    return url.split("?", 1)[0]


# The plugin's Kibana link (Kibana 4-style Discover state, as its source builds it) -----------------

_URI_SAFE = "-_.!~*'();/?:@&=+$,[]"  # what Ruby's URI.escape leaves as it is


def kibana_index(options: PluginOptions) -> str:
    """-d as a Kibana interval index pattern: `logstash-%Y.%m.%d` → `[logstash-]YYYY.MM.DD`."""
    if options.date_index is None:
        return options.index or ""
    prefix, *rest = options.date_index.split("%")
    pattern = "".join(rest)
    for letter, kibana in (("Y", "YYYY"), ("y", "YY"), ("m", "MM"), ("d", "DD"), ("j", "DDDD"), ("H", "hh")):
        pattern = pattern.replace(letter, kibana, 1)  # the plugin replaces the first of each only
    return f"[{prefix}]{pattern}"


def kibana_link(options: PluginOptions, now: datetime) -> str | None:
    """The plugin's `Kibana logs:` link: the last window up to now (a month taken as 31 days, no
    offset, as in its source), the index pattern from -d and the query as typed."""
    if options.kibana_url is None:
        return None
    end = now.replace(microsecond=0)
    start = end - timedelta(minutes=options.minutes_previous, hours=options.hours_previous,
                            days=options.days_previous + 31 * options.months_previous, weeks=options.weeks_previous)

    def escape(text: str) -> str:
        return quote(text, safe=_URI_SAFE)

    def kibana_time(moment: datetime) -> str:
        return escape(moment.strftime("%Y-%m-%dT%H:%M:%S.000Z"))

    return (f"{options.kibana_url}/#/discover?_g=(refreshInterval:(display:Off,section:0,value:0),"
            f"time:(from:'{kibana_time(start)}',mode:absolute,to:'{kibana_time(end)}'))"
            f"&_a=(columns:!(_source),index:{escape(kibana_index(options))},interval:auto,"
            f"query:(query_string:(analyze_wildcard:!t,query:'{escape(options.query)}')),"
            f"sort:!('@timestamp',desc))&dummy")
