"""Expected activity: a rule's or check's `except:` and the config's `expected:` list take what is
normal here out of the verdicts, at ingest and rescore (the rules' Python matcher) as in the
checks' store queries (tests/test_check_pack_windows.py runs those on DuckDB and OpenSearch).
Mistakes name the file and line; `rules list` and `check list` show what is expected."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tattletrail.checks.model import load_checks
from tattletrail.cli import app
from tattletrail.config import Config, ConfigError, Expected, load_config
from tattletrail.ingest import ingest
from tattletrail.query import parse_query
from tattletrail.rules import load_rules
from tattletrail.rules.model import load_rule_file
from tattletrail.rules.rescore import rescore
from tattletrail.sources.local import local_objects
from tattletrail.stores.duckdb.store import DuckDBStore
from tests.check_pack_behaviour_events import DEPLOY, role_session
from tests.check_pack_events import DOE1, api_call
from tests.cloudtrail_files import write_log_file

RULE = """\
- name: lambda-code-changed
  description: Lambda code replaced.
  query: eventSource:lambda.amazonaws.com AND eventName:UpdateFunctionCode*
  level: medium
  except: actor:github-actions-deploy/*
"""


def update_code(event_id: str, identity: dict) -> dict:
    return api_call(event_id, "UpdateFunctionCode20150331v2", "lambda", identity,
                    {"functionName": "orders-api", "publish": True, "s3Bucket": "builds", "s3Key": "orders.zip"},
                    response={"functionName": "orders-api", "version": "42"})


RECORDS = [update_code("by-deploy-role", DEPLOY), update_code("by-a-person", DOE1),
           update_code("by-terraform", role_session("terraform", "plan-apply"))]


def scored(store: DuckDBStore) -> dict[str, list[str]]:
    return {document["eventID"]: document["threat_rules"] for document in store.search(parse_query("*"), limit=None)}


@pytest.fixture
def rules_dir(tmp_path: Path) -> Path:
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "lambda.yml").write_text(RULE)
    return tmp_path / "rules"


def test_rule_except_and_config_expected_keep_expected_events_unscored_at_ingest(tmp_path: Path, rules_dir: Path) -> None:
    write_log_file(tmp_path / "logs" / "a.json.gz", RECORDS)
    store = DuckDBStore(tmp_path / "events.duckdb")
    config = Config(expected=[Expected(actors=["terraform/*"], only=["lambda-code-changed"])])
    ingest(local_objects(str(tmp_path / "logs")), store, rules=load_rules(rules_dir, config))
    assert scored(store) == {"by-deploy-role": [], "by-a-person": ["lambda-code-changed"], "by-terraform": []}


def test_rescore_applies_the_same_except(tmp_path: Path, rules_dir: Path) -> None:
    write_log_file(tmp_path / "logs" / "a.json.gz", RECORDS)
    store = DuckDBStore(tmp_path / "events.duckdb")
    ingest(local_objects(str(tmp_path / "logs")), store)  # unscored
    rescore(store, load_rules(rules_dir, Config()))
    assert scored(store) == {"by-deploy-role": [], "by-a-person": ["lambda-code-changed"],
                             "by-terraform": ["lambda-code-changed"]}


def test_expected_for_other_names_leaves_the_rule_alone(rules_dir: Path) -> None:
    rules = load_rules(rules_dir, Config(expected=[Expected(actors=["DOE1"], only=["secret-harvesting"])]))
    document = {"eventSource": "lambda.amazonaws.com", "eventName": "UpdateFunctionCode20150331v2", "actor": "DOE1"}
    assert rules.evaluate(document).rules == ("lambda-code-changed",)


# ---- mistakes name the file and line ----------------------------------------------------------

@pytest.mark.parametrize("file, text, expected", [
    ("rule.yml", RULE.replace("actor:github-actions-deploy/*", "'actor:(unclosed'"),
     "rule.yml:5: rule 'lambda-code-changed': `except` doesn't parse"),
    ("rule.yml", RULE.replace("actor:github-actions-deploy/*", "threat_level:high"),
     "rule.yml:5: rule 'lambda-code-changed': a rule can't query threat_level"),
    ("check.yml", "name: a\nquery: '*'\ncritical: 1\nexcept: 'actor:(unclosed'\n", "check.yml:4: except:"),
    ("config.yml", "expected:\n  - reason: nothing said\n", "config.yml:2: expected.0: Value error, an expected entry "
                                                               "needs `actors` or `query`"),
    ("config.yml", "expected:\n  - actors: [ci]\n    query: 'eventName:(A'\n", "config.yml:3: expected.0.query:"),
    ("config.yml", "expected:\n  - actors: [ci]\n    only: [Bad_Name]\n", "config.yml:3: expected.0.only:"),
    ("config.yml", "expected:\n  - actors: [ci]\n    rules: [x]\n", "config.yml:3: unknown key 'rules'"),
])
def test_mistakes_name_file_and_line(tmp_path: Path, file: str, text: str, expected: str) -> None:
    path = tmp_path / file
    path.write_text(text)
    load = {"rule.yml": load_rule_file, "check.yml": load_checks, "config.yml": load_config}[file]
    with pytest.raises(ConfigError) as raised:
        load(path)
    assert expected in str(raised.value)


# ---- shown in the lists ------------------------------------------------------------------------

def test_rules_list_and_check_list_show_what_is_expected(tmp_path: Path, rules_dir: Path) -> None:
    config = tmp_path / "config.yml"
    config.write_text("expected:\n  - actors: [terraform/*]\n    reason: the deploy pipeline\n")
    checks = tmp_path / "checks"
    checks.mkdir()
    (checks / "c.yml").write_text("name: lambda-watch\nquery: 'eventName:UpdateFunctionCode*'\ncritical: 1\n"
                                  "except: 'actor:DOE1'\n")
    env = {"TATTLETRAIL_CONFIG": str(config)}
    listed = CliRunner().invoke(app, ["rules", "list", "--rules", str(rules_dir), "--json"], env=env)
    assert listed.exit_code == 0, listed.output
    [rule] = json.loads(listed.output)
    assert rule["except"] == r"(actor:github-actions-deploy/*) OR ((actor:(terraform\/*)))"
    listed = CliRunner().invoke(app, ["check", "list", "--checks", str(checks), "--json"], env=env)
    assert listed.exit_code == 0, listed.output
    [check] = json.loads(listed.output)
    assert check["except"] == r"(actor:DOE1) OR ((actor:(terraform\/*)))"
