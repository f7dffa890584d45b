"""Store URLs for OpenSearch: what each form means, and errors that say how to write it instead."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tattletrail.stores import StoreURLError, open_store
from tattletrail.stores.opensearch.connection import (ENV_PASSWORD, Engine, OpenSearchURLError, make_client,
                                                      parse_store_url)


def test_plain_url_is_http_without_auth_and_verifies_tls_by_default():
    settings = parse_store_url("opensearch://localhost:9200", environ={})
    assert (settings.scheme, settings.host, settings.port, settings.username) == ("http", "localhost", 9200, None)
    assert settings.verify and settings.prefix == "tattletrail" and settings.period == "month"
    assert settings.retention_days == 365 and settings.timeout == 30.0


def test_https_user_takes_the_password_from_the_environment_and_never_shows_it():
    settings = parse_store_url("opensearch+https://admin@search.example.com?ca_certs=/etc/ca.pem&timeout=5",
                               environ={ENV_PASSWORD: "s3cret!"})
    assert (settings.scheme, settings.port, settings.username, settings.password) == ("https", 443, "admin", "s3cret!")
    assert settings.ca_certs == "/etc/ca.pem" and settings.timeout == 5.0
    assert "s3cret" not in repr(settings) and "s3cret" not in settings.redacted_url


def test_password_file(tmp_path: Path):
    secret = tmp_path / "password"
    secret.write_text("from-a-file\n")
    settings = parse_store_url(f"opensearch+https://admin@host:9200?password_file={secret}", environ={})
    assert settings.password == "from-a-file"


@pytest.mark.parametrize("url, advice", [
    ("opensearch+https://admin:hunter2@host:9200", "don't put the password in the URL"),
    ("opensearch+https://admin@host:9200", ENV_PASSWORD),
    ("opensearch://host:9200?shards=3", "unknown parameter(s) shards"),
    ("opensearch://host:9200?aws=lambda", "aws=es"),
    ("opensearch://host:9200?period=week", "period=month or period=day"),
    ("opensearch://host:9200?prefix=Big", "lower case"),
    ("opensearch://host:9200?timeout=soon", "not a number"),
    ("opensearch://", "name the host"),
])
def test_unusable_urls_say_what_to_write(url: str, advice: str):
    with pytest.raises(OpenSearchURLError) as raised:
        parse_store_url(url, environ={})
    assert advice in str(raised.value)
    assert "hunter2" not in str(raised.value)


def test_the_registry_turns_url_errors_into_store_url_errors():
    with pytest.raises(StoreURLError, match="unknown parameter"):
        open_store("opensearch://host:9200?nope=1")


def test_sigv4_signs_requests_with_boto3_credentials(monkeypatch: pytest.MonkeyPatch, httpserver: Any):
    """A local HTTP server stands in for Amazon OpenSearch Service and shows what arrives."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "example")
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    httpserver.expect_request("/").respond_with_json({"version": {"distribution": "opensearch", "number": "2.19.0"}})
    for service in ("es", "aoss"):
        url = f"opensearch://127.0.0.1:{httpserver.port}?aws={service}&region=eu-west-1"
        make_client(parse_store_url(url, environ={})).info()
        authorization = httpserver.log[-1][0].headers["Authorization"]
        assert authorization.startswith("AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE/")
        assert f"/eu-west-1/{service}/aws4_request" in authorization


def test_engine_decides_payload_type_and_lifecycle():
    assert (Engine("opensearch", "2.19.0").payload_type, Engine("opensearch", "2.19.0").lifecycle) == ("flat_object", "ism")
    assert (Engine("elasticsearch", "8.15.0").payload_type, Engine("elasticsearch", "8.15.0").lifecycle) == ("flattened", "ilm")


def test_elasticsearch_is_detected_from_the_cluster_info_and_gets_flattened_and_ilm(httpserver: Any):
    """A local HTTP server answers `GET /` as Elasticsearch 8 does (no `distribution` in the version)."""
    from tattletrail.stores.opensearch.connection import detect_engine
    from tattletrail.stores.opensearch.setup import desired_resources

    httpserver.expect_request("/").respond_with_json({"version": {"number": "8.15.0", "build_flavor": "default"},
                                                      "tagline": "You Know, for Search"})
    settings = parse_store_url(f"opensearch://127.0.0.1:{httpserver.port}?prefix=es&retention_days=30", environ={})
    engine = detect_engine(make_client(settings), settings)
    assert engine == Engine("elasticsearch", "8.15.0")

    resources = {resource.label(): resource.body for resource in desired_resources(settings, engine)}
    mappings = resources["component template es-events-mappings"]["template"]["mappings"]["properties"]
    assert {mappings[name]["type"] for name in ("requestParameters", "responseElements", "additionalEventData",
                                                "serviceEventDetails")} == {"flattened"}
    settings_body = resources["component template es-events-settings"]["template"]["settings"]
    assert settings_body["index.lifecycle.name"] == "es-events"
    policy = resources["ilm policy es-events"]["policy"]
    assert policy["phases"]["delete"]["min_age"] == "30d" and "ism policy es-events" not in resources


@pytest.mark.parametrize("engine, ok, says", [
    (Engine("opensearch", "2.6.0"), False, "upgrade to opensearch 2.7"),
    (Engine("opensearch", "2.19.1"), True, "flat_object, ism"),
    (Engine("elasticsearch", "7.9.3"), False, "upgrade to elasticsearch 7.10"),
    (Engine("elasticsearch", "8.15.0"), True, "flattened, ilm"),
    (Engine("opensearch", "serverless"), True, "serverless"),
])
def test_doctor_names_the_version_needed_for_the_payload_type(engine: Engine, ok: bool, says: str):
    from tattletrail.stores.opensearch.setup import _version_check

    check = _version_check(engine)
    assert check.ok is ok and says in f"{check.detail} {check.fix}"


def test_elasticsearch_before_7_14_gets_an_ilm_policy_without_meta():
    """7.10-7.13 refuse `_meta` in an ILM policy; setup then compares the retention instead of a digest."""
    from tattletrail.stores.opensearch.setup import desired_resources

    settings = parse_store_url("opensearch://localhost:9200", environ={})
    for version, has_meta in [("7.10.2", False), ("7.13.4", False), ("7.14.0", True), ("8.15.0", True)]:
        (policy,) = [r for r in desired_resources(settings, Engine("elasticsearch", version)) if r.kind == "ilm policy"]
        assert ("_meta" in policy.body["policy"]) is has_meta, version
