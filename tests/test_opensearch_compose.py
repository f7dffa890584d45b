"""docker-compose.yml and the Dockerfile hold together: `docker compose config` (or the standalone
`docker-compose config`) where a compose client is installed (it needs no engine), and checks of the
file's structure with PyYAML everywhere."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import typer.main
import yaml

from tattletrail.cli import app
from tattletrail.stores.opensearch.connection import parse_store_url

ROOT = Path(__file__).resolve().parents[1]
COMPOSE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"


def compose_command() -> list[str] | str:
    """The command that validates a compose file here, or why there is none."""
    if shutil.which("docker"):
        probe = subprocess.run(["docker", "compose", "version"], capture_output=True, text=True, timeout=30)
        if probe.returncode == 0:
            return ["docker", "compose"]
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    return "no compose client: neither the docker compose plugin nor docker-compose is installed"


COMPOSE_COMMAND = compose_command()


@pytest.mark.skipif(isinstance(COMPOSE_COMMAND, str), reason=str(COMPOSE_COMMAND))
def test_docker_compose_config_accepts_the_file():
    assert isinstance(COMPOSE_COMMAND, list)
    done = subprocess.run([*COMPOSE_COMMAND, "-f", str(COMPOSE), "config", "--quiet"],
                          capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert done.returncode == 0, done.stderr


@pytest.mark.skipif(isinstance(COMPOSE_COMMAND, str), reason=str(COMPOSE_COMMAND))
def test_the_ingest_interval_comes_from_the_environment():
    assert isinstance(COMPOSE_COMMAND, list)
    done = subprocess.run([*COMPOSE_COMMAND, "-f", str(COMPOSE), "config"], capture_output=True, text=True,
                          timeout=60, cwd=ROOT, env={**os.environ, "TATTLETRAIL_INTERVAL": "60"})
    assert done.returncode == 0, done.stderr
    loop = " ".join(yaml.safe_load(done.stdout)["services"]["ingest"]["command"])
    assert "sleep 60;" in loop


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


def test_the_dashboards_are_imported_once_dashboards_has_started(services: dict[str, Any]):
    importer = services["dashboards-import"]
    assert importer["build"] == "." and importer["restart"].startswith("on-failure"), "one-shot, not a daemon"
    assert importer["depends_on"]["dashboards"]["condition"] == "service_started"
    command = importer["command"]
    group = typer.main.get_command(app)
    assert command[:2] == ["dashboards", "import"] and command[1] in group.commands[command[0]].commands
    assert command[command.index("--url") + 1] == "http://dashboards:5601"
    assert float(command[command.index("--wait") + 1]) >= 120, "Dashboards takes minutes to start"


def test_the_checker_and_the_sqs_ingest_are_real_commands_with_persistent_state(services: dict[str, Any]):
    group = typer.main.get_command(app)
    checker, sqs = services["checker"], services["ingest-sqs"]
    assert checker["command"][0] in group.commands and "--metrics-port" in checker["command"]
    assert any(volume.endswith(":/home/tattletrail/.local/share/tattletrail") for volume in checker["volumes"])
    assert checker["depends_on"]["setup"]["condition"] == "service_completed_successfully"
    assert sqs["command"][:2] == ["ingest", "--sqs"] and sqs["profiles"] == ["sqs"]
    ingest_options = {param.opts[0] for param in group.commands["ingest"].params if param.opts}
    assert {option for option in sqs["command"] if option.startswith("--")} <= ingest_options


def test_the_image_installs_the_wheel_built_from_the_context():
    """A multi-stage build: the wheel (which carries the packs and mappings) is built from the context,
    and only the wheel is installed; .dockerignore must not leave out what the wheel is built from."""
    dockerfile = DOCKERFILE.read_text()
    stages = re.findall(r"^FROM (\S+)(?: AS (\w+))?$", dockerfile, re.MULTILINE)
    assert len(stages) == 2 and stages[0][1], stages
    assert re.search(r"^COPY \. \.$", dockerfile, re.MULTILINE)
    assert re.search(r"^RUN pip wheel --no-deps --wheel-dir (\S+) \.$", dockerfile, re.MULTILINE)
    assert re.search(rf"^COPY --from={stages[0][1]} ", dockerfile, re.MULTILINE)
    assert re.search(r"pip install /\S+/tattletrail-\*\.whl", dockerfile)
    assert "pip install -e" not in dockerfile and "pip install ." not in dockerfile
    ignored = {line.strip().rstrip("/") for line in (ROOT / ".dockerignore").read_text().splitlines()
               if line.strip() and not line.startswith("#")}
    needed = {"pyproject.toml", "setup.py", "README.md", "LICENSE", "tattletrail", "mappings", "searches", "checks",
              "rules", "kibana"}
    assert not needed & ignored, f".dockerignore leaves out {needed & ignored}"
    assert {".venv", ".git", "tests"} <= ignored  # a small context, no local virtualenv in the image
    assert 'ENTRYPOINT ["tattletrail"]' in dockerfile
