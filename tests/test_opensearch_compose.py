"""docker-compose.yml and the Dockerfile hold together: `docker compose config` where the client has
the compose plugin (it needs no engine), and a schema check with PyYAML everywhere."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tattletrail.cli import app
from tattletrail.stores.opensearch_connection import parse_store_url

ROOT = Path(__file__).resolve().parents[1]
COMPOSE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"


def compose_plugin_missing() -> str | None:
    """Why `docker compose config` can't run here, or None if it can."""
    if shutil.which("docker") is None:
        return "no docker client on PATH"
    probe = subprocess.run(["docker", "compose", "version"], capture_output=True, text=True, timeout=30)
    return None if probe.returncode == 0 else f"the docker client has no compose plugin: {probe.stderr.strip()}"


@pytest.mark.skipif(compose_plugin_missing() is not None, reason=str(compose_plugin_missing()))
def test_docker_compose_config_accepts_the_file():
    done = subprocess.run(["docker", "compose", "-f", str(COMPOSE), "config", "--quiet"],
                          capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert done.returncode == 0, done.stderr


@pytest.fixture(scope="module")
def services() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text())["services"]


def test_the_stack_is_opensearch_dashboards_and_tattletrail(services: dict[str, Any]):
    assert {"opensearch", "dashboards", "setup", "ingest"} <= set(services)
    engine, dashboards = services["opensearch"]["image"], services["dashboards"]["image"]
    assert engine.startswith("opensearchproject/opensearch:") and dashboards.startswith(
        "opensearchproject/opensearch-dashboards:")
    assert engine.split(":")[1] == dashboards.split(":")[1] != "latest", "pin one version for both"
    for name in ("setup", "ingest"):
        assert services[name]["build"] == "." and DOCKERFILE.exists()


def test_ports_are_published_on_localhost_only(services: dict[str, Any]):
    published = {name: service.get("ports", []) for name, service in services.items()}
    assert published["opensearch"] == ["127.0.0.1:9200:9200"] and published["dashboards"] == ["127.0.0.1:5601:5601"]
    assert all(port.startswith("127.0.0.1:") for ports in published.values() for port in ports)


def test_templates_are_installed_before_ingest_starts(services: dict[str, Any]):
    assert services["dashboards"]["depends_on"]["opensearch"]["condition"] == "service_healthy"
    assert services["setup"]["depends_on"]["opensearch"]["condition"] == "service_healthy"
    assert services["ingest"]["depends_on"]["setup"]["condition"] == "service_completed_successfully"
    assert services["opensearch"]["healthcheck"]["test"]


def test_the_commands_are_real_tattletrail_commands_on_a_valid_store(services: dict[str, Any]):
    commands = {command.name for command in app.registered_commands}
    setup = services["setup"]["command"]
    assert setup[0] in commands and setup[0] == "setup"
    assert parse_store_url(setup[setup.index("--store") + 1], environ={}).host == "opensearch"
    assert parse_store_url(services["setup"]["environment"]["TATTLETRAIL_STORE"], environ={}).host == "opensearch"
    loop = " ".join(services["ingest"]["command"])
    assert re.search(r"tattletrail (\w+)", loop).group(1) in commands  # type: ignore[union-attr]


def test_the_image_carries_the_data_files_the_code_reads():
    dockerfile = DOCKERFILE.read_text()
    for folder in ("tattletrail", "mappings", "searches"):
        assert re.search(rf"^COPY {folder} ", dockerfile, re.MULTILINE), f"Dockerfile doesn't copy {folder}/"
        assert (ROOT / folder).is_dir()
    assert 'ENTRYPOINT ["tattletrail"]' in dockerfile
    assert "pip install -e" in dockerfile  # the code reads mappings/ beside the package
