"""One root for the errors Tattletrail raises on purpose: the CLI turns each into one line and
exit 2 (tests/test_cli_errors.py pins the messages), a library caller can catch them all."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import tattletrail
from tattletrail.errors import TattletrailError


def exception_classes() -> dict[str, type[BaseException]]:
    """Every exception class defined in the package, by `module.Name`."""
    found = {}
    for module_info in pkgutil.walk_packages(tattletrail.__path__, "tattletrail."):
        if module_info.name.endswith("__main__"):  # importing it runs the CLI
            continue
        module = importlib.import_module(module_info.name)
        for name, value in vars(module).items():
            if inspect.isclass(value) and issubclass(value, BaseException) and value.__module__ == module.__name__:
                found[f"{module.__name__}.{name}"] = value
    return found


def test_every_error_of_the_package_derives_from_tattletrail_error():
    classes = exception_classes()
    assert len(classes) >= 20, sorted(classes)  # the walk found the package's errors
    strays = sorted(name for name, error in classes.items() if not issubclass(error, TattletrailError))
    assert not strays, f"derive these from tattletrail.errors.TattletrailError (keep their built-in base too): {strays}"


def test_errors_keep_their_builtin_base_so_existing_handlers_still_catch_them():
    from tattletrail.config_files import ConfigError
    from tattletrail.query import QueryError
    from tattletrail.stores.base import StoreUnavailable

    assert issubclass(ConfigError, ValueError) and issubclass(QueryError, ValueError)
    assert issubclass(StoreUnavailable, RuntimeError)
