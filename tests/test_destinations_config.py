"""Destinations in the config file (typed, checked at load, secrets by reference) and the
`tattletrail destinations list` / `test` commands, run as a user runs them."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from tattletrail.config import ConfigError, load_config
from tattletrail.destinations.settings import SlackSettings, WebhookSettings

SLACK_TOKEN = "T0001/B0002/xyzSECRETxyz"


def write_config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "tattletrail.yml"
    path.write_text(text)
    return path


def load_error(tmp_path: Path, text: str) -> str:
    with pytest.raises(ConfigError) as raised:
        load_config(write_config(tmp_path, text))
    return str(raised.value)


def test_destinations_load_as_typed_settings(tmp_path):
    config = load_config(write_config(tmp_path, """\
destinations:
  ops-slack:
    type: slack
    url: ${SLACK_WEBHOOK_URL}
    max_samples: 5
  hook:
    type: webhook
    url: https://hooks.example.com/tattletrail
    headers: {Authorization: "Bearer ${HOOK_TOKEN}"}
    attempts: 5
    max_age: 6h
"""))
    slack, hook = config.destinations["ops-slack"], config.destinations["hook"]
    assert isinstance(slack, SlackSettings) and slack.max_samples == 5 and slack.attempts == 3
    assert isinstance(hook, WebhookSettings) and hook.attempts == 5 and hook.max_age.total_seconds() == 6 * 3600


@pytest.mark.parametrize(("text", "expected"), [
    ("destinations:\n  ops:\n    type: slack\n    url: ${X}\n    max_sampels: 3\n",
     "tattletrail.yml:5: unknown key 'max_sampels' (did you mean 'max_samples'?)"),
    ("destinations:\n  ops:\n    type: slak\n",
     "tattletrail.yml:2: destinations.ops: Input tag 'slak' found using 'type' does not match any of the "
     "expected tags: 'stdout', 'jsonl', 'slack', 'webhook', 'sns', 'ses', 'pagerduty'"),
    ("destinations:\n  ops:\n    type: slack\n",
     "tattletrail.yml:2: destinations.ops: Value error, url is required (an environment variable reference "
     "such as ${MY_VAR}, or url_file with a path)"),
    ("destinations:\n  mail:\n    type: ses\n    sender: a@example.com\n    to: [b@example.com]\n"
     "    subject: '{{ alert.check '\n",
     "tattletrail.yml:6: destinations.mail.subject: Value error, template line 1: unexpected end of template, "
     "expected 'end of print statement'."),
    ("destinations:\n  pager:\n    type: pagerduty\n    routing_key: R0UT1NGKEYLITERAL\n    max_age: soon\n",
     "tattletrail.yml:4: destinations.pager.routing_key: Value error, a secret must be an environment variable "
     "reference such as ${SLACK_WEBHOOK_URL} (or use the matching *_file key with a path); never the value itself"),
])
def test_config_mistakes_name_file_line_and_field(tmp_path, text, expected):
    message = load_error(tmp_path, text)
    assert expected in message.replace(str(tmp_path) + "/", "")
    assert "R0UT1NGKEYLITERAL" not in message


def run_cli(config: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "TATTLETRAIL_CONFIG": str(config), **env}
    return subprocess.run([sys.executable, "-m", "tattletrail", "destinations", *args], capture_output=True,
                          text=True, env=environment, timeout=60)


CONFIG = """\
destinations:
  ops-slack:
    type: slack
    url: ${SLACK_WEBHOOK_URL}
    attempts: 2
    backoff: 0
  hook:
    type: webhook
    url: https://hooks.example.com/in/abcdef
    secret_file: /run/secrets/hook
  pager:
    type: pagerduty
    routing_key: ${PD_KEY}
"""


def test_destinations_list_shows_names_types_and_targets_never_secrets(tmp_path):
    config = write_config(tmp_path, CONFIG)
    env = {"SLACK_WEBHOOK_URL": f"https://hooks.slack.com/services/{SLACK_TOKEN}", "PD_KEY": "PDKEYVALUE42"}
    for args in (("list",), ("list", "--json")):
        result = run_cli(config, *args, **env)
        assert result.returncode == 0, result.stderr
        for secret in (SLACK_TOKEN, "PDKEYVALUE42", "/in/abcdef"):
            assert secret not in result.stdout + result.stderr
    rows = json.loads(result.stdout)
    assert rows == [
        {"name": "stdout", "type": "stdout", "target": "standard output (built in)"},
        {"name": "hook", "type": "webhook", "target": "POST to hooks.example.com, signed with the key from "
                                                      "file /run/secrets/hook"},
        {"name": "ops-slack", "type": "slack", "target": "webhook URL from ${SLACK_WEBHOOK_URL}"},
        {"name": "pager", "type": "pagerduty", "target": "events.pagerduty.com, routing key from ${PD_KEY}"},
    ]


def test_destinations_test_sends_a_test_alert_and_says_so(tmp_path, httpserver: HTTPServer):
    httpserver.expect_request(f"/services/{SLACK_TOKEN}", method="POST").respond_with_data("ok")
    config = write_config(tmp_path, CONFIG)
    result = run_cli(config, "test", "ops-slack", SLACK_WEBHOOK_URL=httpserver.url_for(f"/services/{SLACK_TOKEN}"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Delivered a test alert to 'ops-slack' in ")
    message = httpserver.log[0][0].get_json()
    assert message["attachments"][0]["blocks"][0]["text"]["text"] == "🧪 TEST CRITICAL: tattletrail-test"
    assert SLACK_TOKEN not in result.stdout + result.stderr


def test_destinations_test_fails_with_exit_1_and_the_reason(tmp_path, httpserver: HTTPServer):
    httpserver.expect_request(f"/services/{SLACK_TOKEN}").respond_with_data("no_service", status=503)
    config = write_config(tmp_path, CONFIG)
    result = run_cli(config, "test", "ops-slack", "--json",
                     SLACK_WEBHOOK_URL=httpserver.url_for(f"/services/{SLACK_TOKEN}"))
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report == {"destination": "ops-slack", "outcome": "queued", "delivered": False, "attempts": 2,
                      "seconds": report["seconds"], "error": "HTTP 503 from localhost: no_service"}
    assert "attempt=1 outcome=retry" in result.stderr and "attempt=2 outcome=queued" in result.stderr
    assert SLACK_TOKEN not in result.stdout + result.stderr


def test_destinations_test_of_an_unknown_name_lists_the_known_ones(tmp_path):
    result = run_cli(write_config(tmp_path, CONFIG), "test", "opsslack")
    assert result.returncode == 2
    assert "no destination named 'opsslack' (configured: hook, ops-slack, pager, stdout)" in result.stderr


DOCS = Path(__file__).resolve().parents[1] / "docs" / "destinations.md"


def doc_blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", DOCS.read_text(), re.S)


def test_every_yaml_example_in_the_docs_loads(tmp_path):
    examples = doc_blocks("yaml")
    assert len(examples) >= 8
    ca_file = tmp_path / "ca.pem"   # a ca_certs file must exist at load: the examples' paths point here
    ca_file.write_text("-----BEGIN CERTIFICATE-----\n")
    for example in examples:
        example = re.sub(r"ca_certs: \S+", f"ca_certs: {ca_file}", example)
        config = load_config(write_config(tmp_path, example))
        assert config.destinations


def test_the_docs_template_example_renders(tmp_path, monkeypatch):
    from tattletrail.destinations.templates import render
    from tests.destination_alerts import route_deleted_alert

    (example,) = [block for block in doc_blocks("yaml") if "template:" in block]
    settings = load_config(write_config(tmp_path, example)).destinations["ops-slack"]
    text = render(settings.template, route_deleted_alert(samples=2))
    assert text.startswith("*CRITICAL* default-route-deleted in 111122223333\n2 events; first: 2026-11-22 16:31:00 DOE1")


def test_the_docs_describe_every_field_of_the_webhook_json():
    from tests.destination_alerts import route_deleted_alert

    fields = set(route_deleted_alert().to_json())
    (example,) = doc_blocks("json")
    assert set(json.loads(example)) == fields
    documented = set(re.findall(r"^\| `([a-z_]+)`(?:, `([a-z_]+)`)? \|", DOCS.read_text(), re.M))
    assert fields <= {name for pair in documented for name in pair if name}
