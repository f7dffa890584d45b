"""The query tree as a DuckDB WHERE fragment over the `events` table, with parameters.

Common fields are columns (fast), and so are the store's fast fields (list columns holding what
reading the record would give: stores/duckdb/fast.py). A list column's test starts with `IS NOT
NULL` at the top of its fragment: DuckDB skips the rows (and row groups) without the field from
the column's null statistics, 3–4× faster at 10M than testing every row's list. The store hands the compiler its columns
(`Columns`, from stores/duckdb/schema.py); any other dotted path is read from the
`record` JSON, stepping into every element of an array on the way, so `a.items.b:x` matches when
any element's `b` is x, as in OpenSearch. Every fragment is true or false, never NULL, so NOT
means "did not match".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

import ipaddress

import orjson

from tattletrail.query.fields import Kind, fields_of_kind, flat_root, kind_of, parse_date, parse_network
from tattletrail.query.tree import All, And, Exists, Match, Node, Not, Or, Range, leaves_of, wildcard_parts

_IPV4_MAPPED = 0xFFFF_0000_0000
_OCTET = "(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"

_SCALAR = "NOT IN ('OBJECT', 'ARRAY', 'NULL')"
_LEAF_TEXT = "(leaf.value->>'$')"


@dataclass
class Fragment:
    """SQL text and its parameters, in the order their `?` appear."""

    sql: str
    parameters: list[Any] = field(default_factory=list)


@dataclass(frozen=True)
class Columns:
    """The `events` table's columns by query field, as the store lays them out; any other field
    is read from the record."""

    scalar: Mapping[str, str]  # field → the column holding its one value
    lists: Mapping[str, str]  # field → the list column holding its values
    bare: tuple[str, ...]  # keyword columns a bare term looks at besides the record
    # The store's fast fields → their list columns (stores/duckdb/fast.py).
    fast: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Context:
    """What the compiler knows about the store and the query around a node."""

    columns: Columns
    # Conditions every match meets anyway (the time window): a bare term's search of every value
    # (a subquery of its own) is limited by them too.
    scope: Fragment = field(default_factory=lambda: Fragment("true"))


def to_sql(tree: Node, columns: Columns, scope: Fragment | None = None) -> Fragment:
    """A boolean SQL expression over `events` selecting the events the query matches."""
    return _compile(tree, Context(columns, scope or Fragment("true")))


def _compile(tree: Node, context: Context) -> Fragment:
    method = _COMPILERS.get(type(tree))
    if method is None:
        raise TypeError(f"no SQL compiler for query node {type(tree).__name__}")
    return method(tree, context)


def network_bounds(network: ipaddress.IPv4Network | ipaddress.IPv6Network) -> list[str]:
    """A network as the first and last address number, IPv4 inside ::ffff:0:0/96 as Lucene keeps it."""
    offset = _IPV4_MAPPED if network.version == 4 else 0
    return [str(offset + int(network.network_address)), str(offset + int(network.broadcast_address))]


def address_number(value: str) -> str:
    """SQL for an IP address text as a 128-bit number (IPv4 mapped into IPv6), NULL if not one.

    DuckDB's inet extension would do this but needs a download; this is plain SQL.
    """
    ipv4 = (f"CASE WHEN regexp_full_match({value}, '({_OCTET}\\.){{3}}{_OCTET}') THEN list_reduce(list_transform("
            f"string_split({value}, '.'), lambda o: TRY_CAST(o AS UHUGEINT)), lambda a, b: a * 256 + b, "
            f"65535::UHUGEINT) END")
    head = f"list_filter(string_split(split_part({value}, '::', 1), ':'), lambda g: g <> '')"
    tail = (f"list_filter(string_split(CASE WHEN contains({value}, '::') THEN split_part({value}, '::', 2) "
            f"ELSE '' END, ':'), lambda g: g <> '')")
    zeros = (f"CASE WHEN contains({value}, '::') THEN list_transform(range(8 - len(list_filter("
             f"string_split({value}, ':'), lambda g: g <> ''))), lambda i: '0') ELSE [] END")
    groups = f"list_concat({head}, {zeros}, {tail})"
    numbers = f"list_transform({groups}, lambda g: CASE WHEN strlen(g) <= 4 THEN TRY_CAST(('0x' || g) AS UHUGEINT) END)"
    ipv6 = (f"CASE WHEN regexp_full_match({value}, '[0-9a-fA-F:]{{2,39}}') AND strlen({value}) - "
            f"strlen(replace({value}, '::', '')) <= 2 AND len({groups}) = 8 AND list_bool_and(list_transform("
            f"{numbers}, lambda g: g IS NOT NULL)) THEN list_reduce({numbers}, lambda a, b: a * 65536 + b, "
            f"0::UHUGEINT) END")
    return f"coalesce({ipv4}, {ipv6})"


def in_network_sql(value: str) -> str:
    """A condition on an address text; takes the two parameters from `network_bounds`."""
    return f"({address_number(value)} BETWEEN ?::UHUGEINT AND ?::UHUGEINT)"


# Reading a field -----------------------------------------------------------------------------------

def _json_step(values: str, key: str) -> str:
    """One key further; an array there yields its elements, and an array inside that array its
    elements too (OpenSearch flattens arrays of arrays; deeper nesting is not followed)."""
    path = f'$."{key}"'
    step = (f"flatten(list_transform({values}, lambda x: CASE WHEN json_type(x, '{path}') = 'ARRAY' "
            f"THEN json_extract(x, '{path}[*]') ELSE [json_extract(x, '{path}')] END))")
    return (f"flatten(list_transform({step}, lambda x: CASE WHEN json_type(x) = 'ARRAY' "
            "THEN json_extract(x, '$[*]') ELSE [x] END))")


def json_values(field_name: str) -> str:
    """The JSON values at a dotted path of `record` (arrays flattened), as a list expression."""
    for key in field_name.split("."):
        if not key or any(char in key for char in "'\"\\"):
            raise ValueError(f"field name {field_name!r} can't be read from the record")
    values = "[record]"
    for key in field_name.split("."):
        values = _json_step(values, key)
    return values


def leaf_texts(field_name: str) -> str:
    """The scalars at a dotted path as text (JSON's spelling for numbers and booleans)."""
    if kind_of(field_name) is Kind.FLAT:
        return (f"coalesce((SELECT list(leaf.value->>'$') FROM json_tree(record, '$.{field_name}') leaf "
                f"WHERE leaf.type {_SCALAR}), [])")
    return (f"list_transform(list_filter({json_values(field_name)}, lambda x: json_type(x) {_SCALAR}), "
            "lambda x: x->>'$')")


def _test(field_name: str, condition: Callable[[str], str], parameters: list[Any],
          columns: Columns) -> Fragment:
    """`condition(value)` on a field's value, or on any of its values when it has several."""
    if field_name in columns.scalar:
        return Fragment(f"coalesce({condition(columns.scalar[field_name])}, false)", parameters)
    listed = columns.lists.get(field_name) or columns.fast.get(field_name)
    if listed:
        return Fragment(f"({listed} IS NOT NULL AND {_any_value(listed, condition('v'))})", parameters)
    return Fragment(_any_value(leaf_texts(field_name), condition("v")), parameters)


def _any_value(values: str, condition: str) -> str:
    return f"coalesce(len(list_filter({values}, lambda v: {condition})) > 0, false)"


def values_of(field_name: str, columns: Columns) -> tuple[str, bool]:
    """An expression for a field's value(s) and whether it is a list: for `count --by`."""
    if field_name in columns.scalar:
        return columns.scalar[field_name], False
    if field_name in columns.lists:
        return columns.lists[field_name], True
    if field_name in columns.fast:
        return f"coalesce({columns.fast[field_name]}, [])", True
    return leaf_texts(field_name), True


def like_pattern(pattern: str) -> str:
    """A wildcard pattern as a LIKE pattern for `ESCAPE '\\'`."""
    out = []
    for kind, text in wildcard_parts(pattern):
        if kind == "literal":
            out.append("".join("\\" + char if char in "%_\\" else char for char in text))
        else:
            out.append("%" if kind == "*" else "_")
    return "".join(out)


def wildcard_test(pattern: str) -> tuple[str, list[Any]]:
    """A wildcard pattern as a condition on `{}` (str.format) and its parameters.

    The common shapes become string functions DuckDB runs without a pattern matcher: `Get*`
    starts_with, `*Operation` suffix, `*NotAuthorized*` contains, `*` not null. Anything else is a
    LIKE, with an ESCAPE clause only when a literal holds a LIKE character: DuckDB plans a LIKE
    with ESCAPE as a general pattern match, measurably slower than its plain LIKE."""
    parts = wildcard_parts(pattern)
    kinds = [kind for kind, _ in parts]
    literals = [text for kind, text in parts if kind == "literal"]
    if kinds and all(kind == "*" for kind in kinds):
        return "{} IS NOT NULL", []
    if "?" not in kinds and len(literals) == 1:
        inner = [kind for kind in kinds if kind != "*"]
        leading, trailing = kinds[0] == "*", kinds[-1] == "*"
        if inner == ["literal"] and kinds.count("*") == leading + trailing:
            function = {(False, True): "starts_with", (True, False): "suffix", (True, True): "contains"}[
                (leading, trailing)]
            return f"{function}({{}}, ?)", literals
    if any(char in "%_\\" for text in literals for char in text):
        return "{} LIKE ? ESCAPE '\\'", [like_pattern(pattern)]
    return "{} LIKE ?", [like_pattern(pattern)]


def _keyword(value: str, match: Match) -> tuple[str, list[Any]]:
    if match.wildcard:
        sql, parameters = wildcard_test(match.value)
        return sql.replace("{}", value), parameters
    return f"{value} = ?", [match.value]


# Node compilers ------------------------------------------------------------------------------------

def _match(match: Match, context: Context) -> Fragment:
    if match.field is None:
        return _bare(match, context)
    columns = context.columns
    field_name, kind = match.field, kind_of(match.field)
    if kind is Kind.DATE:
        return _test(field_name, lambda value: f"{value} = ?", [parse_date(match.value)], columns)
    if kind is Kind.BOOLEAN:
        if field_name in columns.scalar:
            return _test(field_name, lambda value: f"{value} = ?", [match.value == "true"], columns)
        return _test(field_name, lambda value: f"lower({value}) = ?", [match.value], columns)
    network = parse_network(match.value) if kind is Kind.IP and "/" in match.value and not match.wildcard else None
    if network is not None:
        return _test(field_name, in_network_sql, network_bounds(network), columns)
    sql, parameters = _keyword("{}", match)
    listed = columns.lists.get(field_name) or columns.fast.get(field_name)
    if listed and not match.wildcard:  # one value among a list's: found without a lambda per element
        return Fragment(f"({listed} IS NOT NULL AND coalesce(list_contains({listed}, ?), false))", [match.value])
    test = _test(field_name, lambda value: sql.format(value), parameters, columns)
    if _has_column(field_name, columns):
        return test
    # Read from the JSON only the rows whose text holds the value (or, for a pattern with no
    # literal, the field's key): most rows fail this cheap test.
    needle = _longest_literal(match) or _key_text(field_name)
    return Fragment(f"(contains(record::VARCHAR, ?) AND {test.sql})", [needle, *test.parameters]) if needle else test


def record_reads(tree: Node, columns: Columns) -> list[str | None]:
    """What of the query is answered by reading the records' text in its window, not a column:
    each field without a column (in order, once) and None for bare terms. On a big store each
    costs a scan of every record in the window (README, Benchmarks)."""
    found: list[str | None] = []
    for leaf in leaves_of(tree):
        name = None if isinstance(leaf, Match) and leaf.field is None else leaf.field
        if name is not None and _has_column(name, columns):
            continue
        if name not in found:
            found.append(name)
    return found


def _has_column(field_name: str, columns: Columns) -> bool:
    """Whether the field is read from a column of its own (else from the record's JSON)."""
    return field_name in columns.scalar or field_name in columns.lists or field_name in columns.fast


def _key_text(field_name: str) -> str | None:
    """Text every record holding the field contains: its last key, quoted as JSON writes it (the
    store writes each record with orjson, which escapes no letter, digit, `_` or `-`)."""
    key = field_name.rsplit(".", 1)[-1]
    return f'"{key}"' if key and all(char.isascii() and (char.isalnum() or char in "_-") for char in key) else None


def _holding_key(field_name: str, fragment: Fragment) -> Fragment:
    """The fragment, read only on rows whose JSON text holds the field's key."""
    key = _key_text(field_name)
    if key is None:
        return fragment
    return Fragment(f"(contains(record::VARCHAR, ?) AND {fragment.sql})", [key, *fragment.parameters])


def _bare(match: Match, context: Context) -> Fragment:
    """Any derived column or any scalar of the record, each read by its field's type.

    The record's values are searched in a subquery of their own (rows whose JSON text holds the
    term, then json_tree on those): inside the query's boolean expression, DuckDB would run
    json_tree on every row of the table before testing the text."""
    columns, scope = context.columns, context.scope
    parts: list[Fragment] = []
    keyword, parameters = _keyword("{}", match)
    for column in columns.bare:
        parts.append(Fragment(f"coalesce({keyword.format(column)}, false)", list(parameters)))
    for column in columns.lists.values():
        parts.append(Fragment(f"coalesce(len(list_filter({column}, lambda v: {keyword.format('v')})) > 0, false)",
                              list(parameters)))
    if not match.wildcard:  # a number matches its exact spelling only, as a boolean does
        parts.append(Fragment(f"coalesce(CAST({columns.scalar['threat_score']} AS VARCHAR) = ?, false)", [match.value]))
    # Dates are matched as instants below; a boolean is a keyword for an exact term, never a pattern.
    typed = [Kind.DATE, Kind.BOOLEAN] if match.wildcard else [Kind.DATE]
    excluded = ", ".join(f"'$.{name}'" for kind in typed for name in fields_of_kind(kind))
    needles = _value_texts(match)
    prefilter = "".join("contains(record::VARCHAR, ?) AND " for _ in needles)
    # The columns first: json_tree reads only the rows they don't already match (`DOE1`'s are
    # mostly its actor's), the same rows in the end.
    by_columns = _join(" OR ", parts)
    parts.append(Fragment(
        f"rowid IN (SELECT rowid FROM events WHERE {prefilter}{scope.sql} AND NOT {by_columns.sql} "
        "AND EXISTS (SELECT 1 FROM "
        f"json_tree(record) leaf WHERE leaf.type {_SCALAR} "
        f"AND regexp_replace(leaf.fullkey, '\\[[0-9]+\\]', '', 'g') NOT IN ({excluded}) "
        "AND NOT starts_with(leaf.fullkey, '$._') AND NOT starts_with(leaf.fullkey, '$.\"_') "
        f"AND {keyword.format(_LEAF_TEXT)}))",
        needles + list(scope.parameters) + list(by_columns.parameters) + list(parameters)))
    moment = None if match.wildcard else parse_date(match.value)
    if moment is not None:
        times = [columns.scalar[name] for name in ("event_time", "ingest_time")]
        parts.append(Fragment(f"coalesce({times[0]} = ? OR {times[1]} = ?, false)", [moment, moment]))
    network = None if match.wildcard else parse_network(match.value)
    if network is not None:
        parts.append(Fragment(f"coalesce({in_network_sql(columns.scalar['sourceIPAddress'])}, false)",
                              network_bounds(network)))
    return _join(" OR ", parts)


def _value_texts(match: Match) -> list[str]:
    """Texts the JSON of every record holding the term as a value contains: the term, then (far
    rarer) the term quoted, unless a number or boolean could be spelt like it. The bare text
    first: DuckDB finds it much faster than one starting with a quote, which JSON is full of."""
    needle = _longest_literal(match)
    if needle is None:
        return []
    if match.wildcard:
        return [needle]
    try:
        spelt = orjson.loads(match.value)
    except orjson.JSONDecodeError:
        spelt = None
    if isinstance(spelt, (bool, int, float)):
        return [needle]
    return [needle, f'"{needle}"']


def _longest_literal(match: Match) -> str | None:
    """Text every matching record's JSON must contain, to skip most rows before json_tree."""
    if match.wildcard:
        literals = [text for kind, text in wildcard_parts(match.value) if kind == "literal"]
        text = max(literals, key=len) if literals else ""
    else:
        text = match.value
    return orjson.dumps(text).decode()[1:-1] or None


def _range(found: Range, context: Context) -> Fragment:
    kind = kind_of(found.field)
    bounds: list[Any] = []
    pieces: list[str] = []
    for bound, inclusive, operators in ((found.low, found.include_low, (">=", ">")),
                                        (found.high, found.include_high, ("<=", "<"))):
        if bound is None:
            continue
        pieces.append(operators[0] if inclusive else operators[1])
        bounds.append(parse_date(bound) if kind is Kind.DATE else bound)
    if not pieces:
        return _exists(Exists(found.field), context)
    columns = context.columns
    test = _test(found.field, lambda value: " AND ".join(f"{value} {op} ?" for op in pieces), bounds, columns)
    return test if _has_column(found.field, columns) else _holding_key(found.field, test)


def _exists(found: Exists, context: Context) -> Fragment:
    columns, fast = context.columns, context.columns.fast
    name = found.field
    if name in columns.scalar:
        return Fragment(f"({columns.scalar[name]} IS NOT NULL)")
    if name in columns.lists:
        return Fragment(f"(len({columns.lists[name]}) > 0)")
    if name in fast and flat_root(name):  # a payload leaf at the path: what the column holds
        return Fragment(f"({fast[name]} IS NOT NULL AND len({fast[name]}) > 0)")
    if name in fast and fast_marks_beneath(name):  # [] where only an object with scalars is there
        return Fragment(f"({fast[name]} IS NOT NULL)")
    if kind_of(name) is Kind.FLAT or flat_root(name):  # inside a payload only leaves at the path
        return _holding_key(name, Fragment(f"(len({leaf_texts(name)}) > 0)"))
    return _holding_key(name, Fragment(scalars_beneath(name)))


def fast_marks_beneath(name: str) -> bool:
    """Whether a fast field's column tells `_exists_` on its own: outside a payload `_exists_`
    counts scalars at or beneath the path, so the column holds an empty list where the path has
    only an object with scalars inside (stores/duckdb/fast.py). A date counts only when it parses."""
    return not flat_root(name) and kind_of(name) is not Kind.DATE


def scalars_beneath(name: str) -> str:
    """Whether a scalar lies at or beneath a path of the record (`_exists_` outside a payload)."""
    return (f"EXISTS (SELECT 1 FROM unnest({json_values(name)}) found(value), "
            f"json_tree(found.value) leaf WHERE leaf.type {_SCALAR})")


def _join(operator: str, parts: list[Fragment]) -> Fragment:
    return Fragment("(" + operator.join(part.sql for part in parts) + ")",
                    [parameter for part in parts for parameter in part.parameters])


def _and(node: And, context: Context) -> Fragment:
    return _join(" AND ", [_compile(operand, context) for operand in node.operands])


def _or(node: Or, context: Context) -> Fragment:
    return _join(" OR ", [_compile(operand, context) for operand in node.operands])


def _not(node: Not, context: Context) -> Fragment:
    inner = _compile(node.operand, context)
    return Fragment(f"(NOT {inner.sql})", inner.parameters)


def _all(node: All, context: Context) -> Fragment:
    return Fragment("true")


_COMPILERS: dict[type, Callable[[Any, Context], Fragment]] = {
    Match: _match, Range: _range, Exists: _exists, And: _and, Or: _or, Not: _not, All: _all,
}
