"""How query text becomes the tree, and how a query that can't be used is reported."""

from __future__ import annotations

import pytest

from tattletrail.query import QueryError, QuerySyntaxError, parse_query
from tattletrail.query.opensearch import to_opensearch
from tattletrail.query.tree import All, And, Exists, Match, Not, Or, Range

M = Match


@pytest.mark.parametrize("text, tree", [
    ("eventName:ConsoleLogin", M("eventName", "ConsoleLogin", column=10)),
    ('eventName:"Console Login"', M("eventName", "Console Login", column=10)),
    ("eventName:Get*", M("eventName", "Get*", wildcard=True, column=10)),
    ("eventName:Get\\*", M("eventName", "Get*", column=10)),
    ("a:x b:y", Or((M("a", "x", column=2), M("b", "y", column=6)))),  # implicit OR, like OpenSearch
    ("a:x AND b:y", And((M("a", "x", column=2), M("b", "y", column=10)))),
    ("+a:x b:y", M("a", "x", column=3)),  # a required clause makes the others optional
    ("+a:x -b:y", And((M("a", "x", column=3), Not(M("b", "y", column=8))))),
    ("a:x NOT b:y", And((M("a", "x", column=2), Not(M("b", "y", column=10))))),
    ("a:x OR NOT b:y", Or((M("a", "x", column=2), Not(M("b", "y", column=13))))),  # true negation
    ("a:(x OR y)", Or((M("a", "x", column=3), M("a", "y", column=8)))),
    ("_exists_:errorCode", Exists("errorCode", column=0)),
    ("errorCode:*", Exists("errorCode", column=10)),
    ("*", All()),
    ("", All()),
    ("*:*", All()),
    ("a:[1 TO 5}", Range("a", "1", "5", True, False, column=2)),
    ("a:>=5", Range("a", "5", None, True, True, column=2)),
    ("a:<5", Range("a", None, "5", True, False, column=2)),
    ("a:[* TO 5]", Range("a", None, "5", column=2)),
])
def test_query_text_becomes_tree(text: str, tree: object) -> None:
    assert parse_query(text) == tree


@pytest.mark.parametrize("text, column, message", [
    ("eventName:(ConsoleLogin", 23, "does not parse"),
    ('eventName:"ConsoleLogin', 10, "unexpected character"),
    ("eventName:Console~2", 10, "fuzzy"),
    ("eventName:/Console.*/", 10, "regular expression"),
    ("eventName:Console^2", 10, "boost"),
    ("[1 TO 5]", 0, "needs a field"),
    ("userIdentity:Root", 13, "is an object"),
    ("readOnly:yes", 9, "true or false"),
    ("readOnly:tr*", 9, "wildcards don't apply"),
    ("eventTime:yesterday", 10, "not an ISO 8601 time"),
    ("eventTime:[2024-01-01 TO soon]", 10, "not an ISO 8601 time"),
    ("requestParameters:[a TO b]", 18, "ranges don't apply"),
    ("event*:x", 0, "wildcards"),
    ("a:(b:x)", 3, "inside the group"),
])
def test_unusable_query_reports_the_column(text: str, column: int, message: str) -> None:
    with pytest.raises(QueryError) as raised:
        parse_query(text)
    assert raised.value.column == column
    assert message in str(raised.value)
    caret_line = str(raised.value).splitlines()[-1]
    assert caret_line == "  " + " " * column + "^"


def test_syntax_error_is_a_query_syntax_error() -> None:
    with pytest.raises(QuerySyntaxError):
        parse_query("a:(")


# One table of what each backend is given, for the constructs whose translation is a decision.
@pytest.mark.parametrize("text, dsl", [
    ("eventName:ConsoleLogin", {"term": {"eventName": "ConsoleLogin"}}),
    ('sourceIPAddress:"10.0.0.0/8"', {"term": {"sourceIPAddress.ip": "10.0.0.0/8"}}),
    ("sourceIPAddress:10.1.2.3", {"term": {"sourceIPAddress": "10.1.2.3"}}),
    ("readOnly:true", {"term": {"readOnly": True}}),
    ("eventTime:2024-05-01", {"range": {"eventTime": {"gte": "2024-05-01T00:00:00.000Z",
                                                      "lte": "2024-05-01T00:00:00.000Z"}}}),
    ("eventTime:{2024-05-01 TO *]", {"range": {"eventTime": {"gt": "2024-05-01T00:00:00.000Z"}}}),
    ("eventName:Get\\*x*", {"wildcard": {"eventName": {"value": "Get\\*x*"}}}),
    ("a:x OR NOT b:y", {"bool": {"should": [{"term": {"a": "x"}}, {"bool": {"must_not": [{"term": {"b": "y"}}]}}],
                                 "minimum_should_match": 1}}),
    ("pedro", {"query_string": {"query": "pedro", "default_field": "*", "lenient": True,
                                "analyze_wildcard": False}}),
])
def test_opensearch_translation(text: str, dsl: dict[str, object]) -> None:
    assert to_opensearch(parse_query(text)) == dsl
