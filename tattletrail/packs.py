"""The one door to the data Tattletrail ships (checks, rules, searches, mappings, kibana) and to
the packs a user keeps instead.

The top-level folders of the repository are the one place that data is edited. A wheel carries
them as package data in `tattletrail/shipped/` (setup.py maps each folder there at build time);
a source checkout or an editable install has no such folder and reads the top-level folders
themselves. `shipped(name)` hides the difference, so the package works the same installed by
pipx, in a container and from a checkout.

Which pack a command reads, first that exists:

    --checks/--rules/--searches DIR       the flag
    $TATTLETRAIL_CHECKS/_RULES/_SEARCHES  the environment
    checks:/rules:/searches: DIR          the config file
    <config dir>/checks, rules, searches  a user's own pack (`tattletrail init` puts one there)
    the shipped pack

`pack_folder` in config_lookup.py asks in that order: `given_folder` here, then the config file,
then `default_folder` here. This module reads no config: it sits below everything that loads files,
and says only where the user's own files are (the config directory, the config file in force).
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import platformdirs

from tattletrail.errors import TattletrailError

PACKS = ("checks", "rules", "searches")  # what a user may replace with a folder of their own
SHIPPED = (*PACKS, "mappings", "kibana")  # every data folder the wheel carries
PACK_ENV = {name: f"TATTLETRAIL_{name.upper()}" for name in PACKS}
PACK_FILES = ("*.yml", "*.yaml")
ENV_CONFIG = "TATTLETRAIL_CONFIG"


class PackError(TattletrailError, ValueError):
    """A pack folder that can't be used or written; the message names the folder and what to do."""


@dataclass(frozen=True)
class PackFolder:
    """The folder a pack is read from, and why that one (for `check list`, `rules list`, `searches`)."""

    name: str  # checks, rules or searches
    path: Path
    origin: str  # "--checks", "$TATTLETRAIL_CHECKS", "config file tattletrail.yml", "config directory", "shipped"

    def describe(self) -> str:
        why = {"shipped": "the pack shipped with Tattletrail", "config directory": "your config directory"}
        return f"{self.name} from {self.path} ({why.get(self.origin, self.origin)})"


def shipped(name: str) -> Path:
    """The shipped folder `name`: package data in a wheel, else the top-level folder of a checkout."""
    if name not in SHIPPED:
        raise ValueError(f"{name!r} is not shipped data; one of {', '.join(SHIPPED)}")
    packaged = resources.files("tattletrail") / "shipped" / name
    if isinstance(packaged, Path) and packaged.is_dir():
        return packaged
    checkout = Path(__file__).resolve().parent.parent / name
    if checkout.is_dir():
        return checkout
    raise PackError(f"{packaged}: the shipped {name}/ folder is missing from this installation; "
                    f"reinstall Tattletrail from a wheel (`pipx install tattletrail`) or run it from a checkout")


def mapping_file(filename: str) -> Path:
    """A file of the shipped mappings/ folder (index templates, lifecycle policies, index bodies)."""
    return shipped("mappings") / filename


def config_directory() -> Path:
    """The user's config directory (platformdirs): config.yml and the user's own packs live there."""
    return Path(platformdirs.user_config_dir("tattletrail"))


def config_path() -> Path | None:
    """The config file in force: $TATTLETRAIL_CONFIG, ./tattletrail.yml, or the user's config dir."""
    if os.environ.get(ENV_CONFIG):
        return Path(os.environ[ENV_CONFIG])
    for candidate in (Path("tattletrail.yml"), config_directory() / "config.yml"):
        if candidate.is_file():
            return candidate
    return None


def given_folder(name: str, given: str | Path | None = None) -> PackFolder | None:
    """The folder the flag or, without one, the environment names for pack `name`; None if neither."""
    if name not in PACKS:
        raise ValueError(f"{name!r} is not a pack; one of {', '.join(PACKS)}")
    if given:
        return PackFolder(name, Path(given).expanduser(), f"--{name}")
    if os.environ.get(PACK_ENV[name]):
        return PackFolder(name, Path(os.environ[PACK_ENV[name]]).expanduser(), f"${PACK_ENV[name]}")
    return None


def default_folder(name: str) -> PackFolder:
    """The user's own pack in the config directory if there is one, else the shipped pack."""
    own = config_directory() / name
    if own.is_dir():
        return PackFolder(name, own, "config directory")
    return PackFolder(name, shipped(name), "shipped")


def init_packs(target: Path | None = None, force: bool = False) -> list[Path]:
    """Copy the shipped packs into `target` (default: the config directory), one subfolder each,
    for a user to edit. Refuses to overwrite a file unless `force`; returns the folders written."""
    target = (target or config_directory()).expanduser()
    copies = [(source, target / name / source.name) for name in PACKS
              for pattern in PACK_FILES for source in sorted(shipped(name).glob(pattern))]
    existing = [str(copy) for _, copy in copies if copy.exists()]
    if existing and not force:
        raise PackError(f"{existing[0]} already exists ({len(existing)} file(s) would be overwritten): "
                        f"edit the files there, choose another folder, or add --force to overwrite them")
    for source, copy in copies:
        try:
            copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, copy)
        except OSError as error:
            raise PackError(f"{copy}: can't write: {error.strerror}") from error
    return [target / name for name in PACKS]
