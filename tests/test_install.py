"""Tattletrail installed the way Python tools are installed: an sdist and a wheel built by
`python -m build`, the wheel installed into a fresh virtualenv, the commands run from a folder
outside the repository — where the packs and mappings can only come from the wheel itself.

Offline and quick: the build uses this environment's setuptools (--no-isolation), the wheel goes
in with --no-deps, and the fresh virtualenv reaches the dependencies already installed here
through a .pth file (a path in a .pth file is not a site directory, so this environment's
editable install of the checkout is not seen there). The test asserts that the `tattletrail` the
fresh virtualenv imports is the installed wheel.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from tattletrail import packs
from tests.opensearch_helpers import store_url as opensearch_store_url

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = {"checks": (".yml",), "rules": (".yml",), "searches": (".yml",), "mappings": (".json", ".txt"),
           "kibana": (".ndjson",)}
LEFT_OUT = shutil.ignore_patterns(".venv", ".git", "build", "dist", "*.egg-info", "__pycache__", ".pytest_cache",
                                  ".mypy_cache", ".hypothesis", "demo", "out", "*.duckdb", "*.duckdb.wal")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The sdist and the wheel `python -m build` makes from a copy of the checkout."""
    folder = tmp_path_factory.mktemp("build")
    source = folder / "source"
    shutil.copytree(ROOT, source, ignore=LEFT_OUT)
    done = subprocess.run([sys.executable, "-m", "build", "--no-isolation", "--outdir", str(folder / "dist"),
                           str(source)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    (wheel,) = (folder / "dist").glob("tattletrail-*.whl")
    (sdist,) = (folder / "dist").glob("tattletrail-*.tar.gz")
    return {"wheel": wheel, "sdist": sdist}


@pytest.fixture(scope="module")
def installed(built: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtualenv with the wheel installed (no dependencies fetched): its bin folder."""
    venv = tmp_path_factory.mktemp("fresh") / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    done = subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-deps",
                           "--no-index", str(built["wheel"])], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    here = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (Path(site) / "dependencies-of-the-test-environment.pth").write_text("\n".join(sorted(here)) + "\n")
    return venv / "bin"


@pytest.fixture()
def elsewhere(tmp_path: Path) -> dict[str, str]:
    """The environment of a user outside the repository: own config and data folders, no PYTHONPATH."""
    kept = {name: value for name, value in os.environ.items()
            if name not in ("PYTHONPATH", "VIRTUAL_ENV") and not name.startswith("TATTLETRAIL_")}
    return {**kept, "XDG_CONFIG_HOME": str(tmp_path / "config"), "XDG_DATA_HOME": str(tmp_path / "data"),
            "COLUMNS": "200"}


def run(bin_folder: Path, env: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(bin_folder / "tattletrail"), *args], capture_output=True, text=True, cwd=cwd,
                          env={**env, "PATH": f"{bin_folder}{os.pathsep}{env.get('PATH', '/usr/bin')}"}, timeout=300)


def test_the_wheel_carries_the_packs_and_mappings_and_complete_metadata(built: dict[str, Path]):
    with zipfile.ZipFile(built["wheel"]) as wheel:
        names = wheel.namelist()
        metadata = wheel.read(next(name for name in names if name.endswith(".dist-info/METADATA"))).decode()
    assert tuple(SHIPPED) == packs.SHIPPED  # setup.py's list, the door's list and this one agree
    for folder, suffix in SHIPPED.items():
        expected = sorted(path.name for path in (ROOT / folder).iterdir() if path.name.endswith(suffix))
        inside = sorted(name.rsplit("/", 1)[1] for name in names if name.startswith(f"tattletrail/shipped/{folder}/"))
        assert inside == expected, folder
    assert not [name for name in names if name.startswith(("tests/", "checks/", "bench/"))]
    for field in ("License-Expression: MIT", "Classifier: Topic :: Security",
                  "Description-Content-Type: text/markdown", "Requires-Python: >=3.11"):
        assert field in metadata, field
    assert "# Tattletrail" in metadata  # the README is the long description
    assert any(name.endswith(".dist-info/licenses/LICENSE") for name in names)
    assert "tattletrail/py.typed" in names  # PEP 561: a user's type checker reads our hints


def test_installed_wheel_runs_every_command_from_outside_the_repository(installed: Path, elsewhere: dict[str, str],
                                                                       tmp_path: Path, opensearch_url: str):
    where = subprocess.run([str(installed / "python"), "-c", "import tattletrail, tattletrail.packs as p; "
                            "print(tattletrail.__file__); print(p.shipped('mappings'))"],
                           capture_output=True, text=True, cwd=tmp_path, env=elsewhere, check=True).stdout.split()
    assert all(Path(path).is_relative_to(installed.parent) for path in where), where  # the wheel, not the checkout
    store = f"duckdb:///{tmp_path / 'events.duckdb'}"

    generated = run(installed, elsewhere, tmp_path, "generate", "trail", "--days", "1", "--seed", "7",
                    "--events-per-day", "300", "--accounts", "1")
    assert generated.returncode == 0, generated.stderr
    events = int(re.search(r"Wrote ([\d,]+) events", generated.stdout).group(1).replace(",", ""))
    ingested = run(installed, elsewhere, tmp_path, "ingest", "trail", "--store", store)
    assert ingested.returncode == 0, ingested.stderr
    assert f"Ingested {events:,} events" in ingested.stdout and "Threat levels:" in ingested.stdout
    counted = run(installed, elsewhere, tmp_path, "count", "*", "--json", "--store", store)
    assert json.loads(counted.stdout)["count"] == events
    denied = run(installed, elsewhere, tmp_path, "count", "--saved", "denied-calls", "--json", "--store", store)
    assert denied.returncode == 0 and json.loads(denied.stdout)["count"] >= 1, denied.stderr

    checked = run(installed, elsewhere, tmp_path, "check", "run", "--store", store)
    assert checked.returncode in (0, 1, 2) and "UNKNOWN" not in checked.stdout, checked.stdout + checked.stderr
    assert re.search(r"^route-deleted-or-replaced\S* CRITICAL", checked.stdout, re.MULTILINE), checked.stdout
    report = run(installed, elsewhere, tmp_path, "report", "--since", "48h", "--store", store)
    assert report.returncode == 0 and "DeleteRoute" in report.stdout and "DOE1" in report.stdout, report.stderr
    setup = run(installed, elsewhere, tmp_path, "setup", "--dry-run", "--json",
                "--store", opensearch_store_url(opensearch_url, "tt-wheel"))
    assert setup.returncode == 0, setup.stderr
    assert "index template tt-wheel-events" in {step["name"] for step in json.loads(setup.stdout)["steps"]}


LISTS = {"checks": ("check", "list"), "rules": ("rules", "list"), "searches": ("searches",)}


def test_installed_wheel_says_which_pack_it_reads_and_init_makes_it_the_users(
        installed: Path, elsewhere: dict[str, str], tmp_path: Path):
    counts = {}
    for noun, command in LISTS.items():
        listed = run(installed, elsewhere, tmp_path, *command)
        assert listed.returncode == 0, listed.stderr
        first = listed.stdout.splitlines()[0]
        found = re.fullmatch(rf"(\d+) {noun} from (\S+) \(the pack shipped with Tattletrail\)", first)
        assert found and Path(found.group(2)).is_relative_to(installed.parent), first
        counts[noun] = found.group(1)

    made = run(installed, elsewhere, tmp_path, "init")
    assert made.returncode == 0, made.stderr
    home = tmp_path / "config" / "tattletrail"
    for noun, command in LISTS.items():
        assert f"Tattletrail now reads {noun} from {home / noun}." in made.stdout, made.stdout
        own = run(installed, elsewhere, tmp_path, *command)
        assert own.stdout.splitlines()[0] == f"{counts[noun]} {noun} from {home / noun} (your config directory)"
    again = run(installed, elsewhere, tmp_path, "init")
    assert again.returncode == 2 and "already exists" in again.stderr and "--force" in again.stderr
