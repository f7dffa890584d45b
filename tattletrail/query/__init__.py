"""One query language on every store: Lucene query strings (Kibana's syntax).

    tree = parse_query('eventName:ConsoleLogin AND NOT additionalEventData.MFAUsed:Yes')
    store.search(tree)                        # DuckDB: query/sql.py; OpenSearch: query/opensearch.py
    predicate(tree)(document)                 # one event, in Python: query/python.py (the reference)

Parsing happens once (parse.py → tree.py); each backend is a small visitor over the tree.
docs/query.md is the semantics table.
"""

from __future__ import annotations

from tattletrail.query.fields import check
from tattletrail.query.parse import QueryError, QuerySyntaxError, parse
from tattletrail.query.python import matches, predicate
from tattletrail.query.tree import Node


def parse_query(text: str) -> Node:
    """Parse and check a query: a QueryError (with a caret at the column) if it can't be used."""
    return check(parse(text), text)


__all__ = ["Node", "QueryError", "QuerySyntaxError", "matches", "parse", "parse_query", "predicate"]
