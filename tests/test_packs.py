"""Which folder each pack is read from (flag, environment, config file, config directory, shipped),
and `tattletrail init`. The installed-wheel side of the same door is tests/test_install.py."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tattletrail.config_lookup import pack_folder
from tattletrail.packs import PACKS, PackError, init_packs, shipped

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture()
def user(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A user with an empty config directory, no config file and none of the pack variables."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("TATTLETRAIL_CONFIG", str(tmp_path / "config.yml"))
    monkeypatch.chdir(tmp_path)
    for name in PACKS:
        monkeypatch.delenv(f"TATTLETRAIL_{name.upper()}", raising=False)
    (tmp_path / "config.yml").write_text("")
    return tmp_path


# Each source, and every source below it also set: the first one wins.
SOURCES = ["flag", "environment", "config file", "config directory", "shipped"]


@pytest.mark.parametrize("name", PACKS)
@pytest.mark.parametrize("winner", SOURCES)
def test_the_first_source_that_names_a_folder_wins(user: Path, monkeypatch: pytest.MonkeyPatch, name: str,
                                                   winner: str):
    below = SOURCES[SOURCES.index(winner):]
    given = str(user / "from-flag") if "flag" in below else None
    if "environment" in below:
        monkeypatch.setenv(f"TATTLETRAIL_{name.upper()}", str(user / "from-env"))
    if "config file" in below:
        (user / "config.yml").write_text(f"{name}: {user / 'from-config'}\n")
    if "config directory" in below:
        (user / "xdg" / "tattletrail" / name).mkdir(parents=True)
    folder = pack_folder(name, given)
    expected = {"flag": (user / "from-flag", f"--{name}"),
                "environment": (user / "from-env", f"$TATTLETRAIL_{name.upper()}"),
                "config file": (user / "from-config", f"`{name}:` in the config file {user / 'config.yml'}"),
                "config directory": (user / "xdg" / "tattletrail" / name, "config directory"),
                "shipped": (ROOT / name, "shipped")}[winner]
    assert (folder.path, folder.origin) == expected


def test_a_checkout_reads_its_top_level_folders():
    assert [shipped(name) for name in ("checks", "rules", "searches", "mappings", "kibana")] == [
        ROOT / "checks", ROOT / "rules", ROOT / "searches", ROOT / "mappings", ROOT / "kibana"]


def test_init_copies_every_pack_and_refuses_to_overwrite_without_force(user: Path):
    written = init_packs()
    home = user / "xdg" / "tattletrail"
    assert written == [home / name for name in PACKS]
    for name in PACKS:
        assert sorted(path.name for path in (home / name).iterdir()) == sorted(
            path.name for path in (ROOT / name).glob("*.y*ml"))
        assert pack_folder(name).origin == "config directory"
    (home / "rules" / "identity.yml").write_text("# mine\n")
    with pytest.raises(PackError, match=r"already exists \(\d+ file\(s\) would be overwritten\).*--force"):
        init_packs()
    assert (home / "rules" / "identity.yml").read_text() == "# mine\n"
    init_packs(force=True)
    assert (home / "rules" / "identity.yml").read_bytes() == (ROOT / "rules" / "identity.yml").read_bytes()


def run_cli(user: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environment = {"PATH": "/usr/bin", "COLUMNS": "200", "XDG_CONFIG_HOME": str(user / "xdg"),
                   "TATTLETRAIL_CONFIG": str(user / "config.yml"), "PYTHONPATH": str(ROOT), **(env or {})}
    return subprocess.run([sys.executable, "-m", "tattletrail", *args], capture_output=True, text=True, cwd=user,
                          env=environment, timeout=120)


def test_the_list_commands_say_which_folder_they_read(user: Path):
    mine = user / "mine"
    mine.mkdir()
    (mine / "one.yml").write_text("name: only-root\ndescription: Root did something.\nquery: 'userIdentity.type:Root'\n"
                                  "level: high\n")
    listed = run_cli(user, "rules", "list", "--rules", str(mine))
    assert listed.stdout.splitlines()[0] == f"1 rules from {mine} (--rules)", listed.stderr
    assert "only-root" in listed.stdout
    as_json = json.loads(run_cli(user, "rules", "list", "--rules", str(mine), "--json").stdout)
    assert [(rule["name"], rule["level"], rule["origin"]) for rule in as_json] == [
        ("only-root", "high", f"{mine / 'one.yml'}:1")]
    searches = run_cli(user, "searches", env={"TATTLETRAIL_SEARCHES": str(mine)})
    assert searches.returncode == 2 and f"{mine / 'one.yml'}:4: unknown key 'level'" in searches.stderr  # read there
    shipped_checks = run_cli(user, "check", "list").stdout.splitlines()[0]
    assert shipped_checks.endswith(f"checks from {ROOT / 'checks'} (the pack shipped with Tattletrail)")


def test_a_missing_searches_folder_is_a_clear_error(user: Path):
    result = run_cli(user, "searches", "--searches", str(user / "nowhere"))
    assert result.returncode == 2 and f"{user / 'nowhere'}: no such folder of saved searches" in result.stderr
    assert "Traceback" not in result.stderr
