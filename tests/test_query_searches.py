"""Saved search files: checked on load, parameters escaped into literals."""

from __future__ import annotations

from pathlib import Path

import pytest

from tattletrail.config import ConfigError
from tattletrail.query import parse_query
from tattletrail.query.tree import Match
from tattletrail.searches import PACK, Param, SavedSearch, escape_value, load_searches


def write(directory: Path, text: str) -> Path:
    path = directory / "search.yml"
    path.write_text(text)
    return path


@pytest.mark.parametrize("text, message", [
    ("name: x\ndescription: d\nquery: actor:{who}\n", "search.yml:3: query uses {who} but params doesn't declare"),
    ("name: x\ndescription: d\nquery: actor:x\nparams:\n  who: {description: w}\n",
     "search.yml:3: parameter 'who' is declared but the query never uses {who}"),
    ("name: x\ndescription: d\nquery: 'actor:(x'\n", "search.yml:3: the query doesn't parse"),
    ("name: x\ndescripton: d\nquery: actor:x\n", "search.yml:2: unknown key 'descripton' (did you mean 'description'?)"),
    ("name: x\nquery: actor:x\n", "description: Field required"),
])
def test_bad_saved_search_file_names_file_and_line(tmp_path: Path, text: str, message: str) -> None:
    write(tmp_path, text)
    with pytest.raises(ConfigError) as raised:
        load_searches([tmp_path])
    assert message in str(raised.value)


@pytest.mark.parametrize("text, message", [
    ("name: x\ndescription: d\nquery: actor:{who}\nparams:\n  who: {description: w, defualt: a}\n",
     "search.yml:5: unknown key 'defualt' (did you mean 'default'?)"),
    ("name: x\ndescription: d\nquery: actor:{who}\nparams:\n  who: {description: w, default: 5}\n",
     "search.yml:5: params.who.default: Input should be a valid string"),
    ("name: x\ndescription: d\nquery: actor:x\nparams: [who]\n", "search.yml:4: params: Input should be a"),
    ("name: 7\ndescription: d\nquery: actor:x\n", "search.yml:1: name: Input should be a valid string"),
    ("- name: x\n", "expected a mapping of keys to values, found list"),
])
def test_a_file_out_of_the_usual_shape_gets_pydantics_verdict_with_its_line(tmp_path: Path, text: str,
                                                                             message: str) -> None:
    write(tmp_path, text)
    with pytest.raises(ConfigError) as raised:
        load_searches([tmp_path])
    assert message in str(raised.value)


def test_a_file_in_the_usual_shape_is_the_search_pydantic_makes_of_it() -> None:
    from tattletrail.config_files import validate
    from tattletrail.config_yaml import load_yaml
    from tattletrail.searches import _as_search

    for path in sorted(PACK.glob("*.yml")):
        document = load_yaml(path)
        assert _as_search(document) == validate(SavedSearch, document, path), path


def test_same_name_twice_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "a.yml").write_text("name: x\ndescription: d\nquery: actor:x\n")
    (tmp_path / "b.yml").write_text("name: x\ndescription: d\nquery: actor:y\n")
    with pytest.raises(ConfigError, match="also defined in"):
        load_searches([tmp_path])


@pytest.mark.parametrize("value", ["alice OR *", "Role/session", 'a "quoted" value', "x:y", "(a)", "-x", "tab\there"])
def test_parameter_value_stays_one_literal(value: str) -> None:
    search = SavedSearch(name="x", description="d", query="actor:{who}", params={"who": Param(description="w")})
    assert parse_query(search.render({"who": value})) == Match("actor", value, column=6)


def test_default_fills_a_parameter() -> None:
    search = SavedSearch(name="x", description="d", query="awsRegion:{region}",
                         params={"region": Param(description="r", default="eu-west-1")})
    assert search.render({}) == "awsRegion:eu\\-west\\-1"
    assert escape_value("") == '""'


def test_the_shipped_pack_loads() -> None:
    assert len(load_searches()) >= 14
