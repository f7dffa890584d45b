"""One query language on every store: Lucene query strings (Kibana's syntax).

    tree = parse_query('eventName:ConsoleLogin AND NOT additionalEventData.MFAUsed:Yes')
    store.search(tree)                        # DuckDB: query/sql.py; OpenSearch: query/opensearch.py
    predicate(tree)(document)                 # one event, in Python: query/python.py (the reference)

Parsing happens once (parse.py → tree.py); each backend is a small visitor over the tree.
docs/query.md is the semantics table.
"""

from __future__ import annotations

from tattletrail.query.fields import check, parse_network
from tattletrail.query.parse import QueryError, QuerySyntaxError, parse
from tattletrail.query.python import matches, predicate
from tattletrail.query.tree import Node, matches_of


def parse_query(text: str) -> Node:
    """Parse and check a query: a QueryError (with a caret at the column) if it can't be used."""
    return check(parse(text), text)


def surprises(tree: Node) -> list[str]:
    """What a query means that its writer may not expect, said before it runs (CLI and checks).

    A bare CIDR such as `"0.0.0.0/0"` matches the text anywhere *and* every sourceIPAddress inside
    the network, as OpenSearch's all-field search does on an `ip` field: with /0 that is every event.
    """
    found = []
    for match in matches_of(tree):
        network = None if match.field or match.wildcard else parse_network(match.value)
        if network is not None and network.prefixlen < network.max_prefixlen:
            found.append(f'bare "{match.value}" also matches every sourceIPAddress inside {network} '
                         f"(OpenSearch's all-field search does the same); to find the text only, "
                         f'name the field, e.g. requestParameters.ipPermissions.items.ipRanges.items.cidrIp:"{match.value}"')
    return found


__all__ = ["Node", "QueryError", "QuerySyntaxError", "matches", "parse", "parse_query", "predicate", "surprises"]
