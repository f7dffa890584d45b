"""The imports stay a one-way street: a new import cycle fails here (bench/imports.py draws the
whole picture: cycles, imports pointing back up the layers, the biggest modules and functions)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import grimp
import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "bench" / "imports.py"
spec = importlib.util.spec_from_file_location("bench_imports", SCRIPT)
assert spec is not None and spec.loader is not None
picture = sys.modules["bench_imports"] = importlib.util.module_from_spec(spec)  # dataclasses look it up there
spec.loader.exec_module(picture)

# Cycles tolerated for now: a cycle inside one of these groups passes, any other fails. Issue 17
# broke the last ones (the backends became packages with a leaf schema); keep the list empty.
KNOWN_CYCLES: list[set[str]] = []


def test_no_new_import_cycle():
    graph, _ = picture.build_graphs()
    new = [group for group in picture.import_cycles(graph) if not any(set(group) <= known for known in KNOWN_CYCLES)]
    loops = [" → ".join(picture.one_loop(graph, group)) for group in new]
    assert not new, ("new import cycle(s); move the shared concept down into a module both can import "
                     "(`python bench/imports.py` shows the picture):\n" + "\n".join(loops))


def planted(imports: list[tuple[str, str]], type_checking: tuple[tuple[str, str], ...] = ()) -> tuple:
    """A graph of made-up tattletrail modules, and the same without its TYPE_CHECKING imports."""
    graph, runtime = grimp.ImportGraph(), grimp.ImportGraph()
    for importer, imported in [*imports, *type_checking]:
        for module in (importer, imported):  # a real graph has every module in both
            runtime.add_module(f"tattletrail.{module}")
        for target in (graph, runtime) if (importer, imported) not in type_checking else (graph,):
            target.add_import(importer=f"tattletrail.{importer}", imported=f"tattletrail.{imported}",
                              line_number=7, line_contents=f"from tattletrail.{imported} import x")
    return graph, runtime


@pytest.mark.parametrize("imports, cycles", [
    ([("sources.s3", "reader"), ("reader", "event")], []),
    ([("alert", "report.model"), ("report.model", "searches"), ("searches", "config"), ("config", "alert")],
     [["tattletrail.alert", "tattletrail.config", "tattletrail.report.model", "tattletrail.searches"]]),
    ([("a", "b"), ("b", "a"), ("c", "d"), ("d", "e"), ("e", "c")],
     [["tattletrail.c", "tattletrail.d", "tattletrail.e"], ["tattletrail.a", "tattletrail.b"]]),
])
def test_import_cycles_are_the_groups_that_reach_each_other(imports, cycles):
    graph, _ = planted(imports)
    assert picture.import_cycles(graph) == cycles


def test_an_import_from_a_lower_layer_into_a_higher_one_points_back_up():
    graph, runtime = planted([("sources.follow", "ingest"), ("ingest", "sources.s3"), ("cli.query", "stores")],
                             type_checking=(("destinations", "config"),))
    found = [(one.importer, one.imported, one.type_checking_only) for one in picture.upward_imports(graph, runtime)]
    assert found == [("tattletrail.destinations", "tattletrail.config", True),
                     ("tattletrail.sources.follow", "tattletrail.ingest", False)]
