"""Per-event threat rules: each event gets a threat level, the rules it matched and annotations.

    rules = load_rules()                      # the pack in rules/, or load_rules(Path("my-rules"))
    rules.score(event)                        # sets event.threat_level / threat_rules / annotations
    rules.evaluate(document)                  # the Verdict for one stored document (rescore)

model.py reads and checks rule files (and splits a rule with `attempt:` in two); annotation.py
renders templates; conditions.py holds the named `when:` conditions a query can't express, with
policy.py (is a policy document public?) and ingress.py (which security group permissions let the
internet in); ruleset.py indexes rules by the eventName (errorCode, identity type) they require and
evaluates them with the query language's Python predicate; alerts.py sends immediate alerts;
rescore.py re-applies rules to stored events. docs/rules.md has the format and the level rubric.
"""

from __future__ import annotations

from pathlib import Path

from tattletrail.config import Config, Expected, expected_query, load_config
from tattletrail.config_lookup import pack_folder
from tattletrail.packs import PackFolder
from tattletrail.rules.model import LEVELS, PACK, THREAT_FIELDS, LoadedRule, Rule, load_rule_files, score_of
from tattletrail.rules.ruleset import (CLEAN, INDEX_FIELDS, NO_THREAT, CompiledRule, RuleSet, Verdict,
                                       required_event_names, required_values)


def rules_folder(directory: str | Path | None = None, config: Config | None = None) -> PackFolder:
    """--rules DIR, else $TATTLETRAIL_RULES, else `rules:` in the config file, else <config dir>/rules,
    else the pack shipped with Tattletrail (tattletrail/packs.py decides, for every pack alike)."""
    return pack_folder("rules", directory, config)


def rules_directory(directory: str | Path | None = None, config: Config | None = None) -> Path:
    return rules_folder(directory, config).path


def load_rules(directory: str | Path | None = None, config: Config | None = None) -> RuleSet:
    """The rules, with what the config's `expected:` says is normal here."""
    config = config or load_config()
    return RuleSet(with_expected(load_rule_files([rules_directory(directory, config)]), config.expected))


def with_expected(rules: list[LoadedRule], entries: list[Expected]) -> list[LoadedRule]:
    """Each rule with the `expected:` entries that apply to it added to its `except`."""
    return [rule.expecting(query) if (query := expected_query(entries, rule.name)) else rule for rule in rules]


__all__ = ["CLEAN", "LEVELS", "NO_THREAT", "PACK", "THREAT_FIELDS", "CompiledRule", "LoadedRule", "Rule",
           "RuleSet", "Verdict", "load_rule_files", "load_rules", "required_event_names", "required_values", "rules_directory",
           "rules_folder", "INDEX_FIELDS", "score_of", "with_expected"]
