"""What a command asks of the config file before it runs: the store URL, the folder of a pack.
The file is read (and validated whole, through config.py's models) only when there is one
(`config_path` in packs.py): without it, a query command starts without the config's models and
the destination settings they pull in (jinja2, the delivery and outbox machinery).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import platformdirs

from tattletrail.packs import PackFolder, config_path, default_folder, given_folder

if TYPE_CHECKING:
    from tattletrail.config import Config

ENV_STORE = "TATTLETRAIL_STORE"


def pack_folder(name: str, given: str | Path | None = None, config: Config | None = None) -> PackFolder:
    """The folder pack `name` is read from: the first of flag, environment, config file, the
    user's config directory and the shipped pack (see tattletrail/packs.py)."""
    return given_folder(name, given) or _configured_folder(name, config) or default_folder(name)


def _configured_folder(name: str, config: Config | None) -> PackFolder | None:
    path = None
    if config is None:
        path = config_path()
        if path is None:
            return None  # no config file: nothing configured
        config = _load(path)
    folder = getattr(config, name)
    if not folder:
        return None
    where = f"config file {path}" if path else "config file"
    return PackFolder(name, Path(folder).expanduser(), f"`{name}:` in the {where}")


def default_store_url(config: Config | None = None) -> str:
    """--store is handled by the CLI; then $TATTLETRAIL_STORE, the config file, the user data dir."""
    if os.environ.get(ENV_STORE):
        return os.environ[ENV_STORE]
    if config is None:
        path = config_path()
        config = _load(path) if path is not None else None
    if config is not None and config.store:
        return config.store
    return f"duckdb:///{Path(platformdirs.user_data_dir('tattletrail')) / 'events.duckdb'}"


def _load(path: Path) -> Config:
    from tattletrail.config import load_config  # the models (pydantic, destinations) load with the file

    return load_config(path)
