"""The import picture of the package: import cycles, imports that point back up the layers, the
biggest modules and the biggest functions. Run it before and after a refactoring and compare.

    .venv/bin/python bench/imports.py                 # the picture of tattletrail, as markdown
    .venv/bin/python bench/imports.py --top 20        # longer lists of big modules and functions

The import graph comes from grimp (the engine of import-linter); it counts every import, also
those inside a function and under `if TYPE_CHECKING:` (marked), since each one says which concept
leans on which. A cycle is a group of modules each of which reaches every other through imports.
"Points back up" means a module of a lower layer importing one of a higher layer; LAYERS is the
flow of STYLE.md, highest first. tests/test_imports.py fails when a new cycle appears.
"""

from __future__ import annotations

import argparse
import ast
import importlib
from dataclasses import dataclass
from pathlib import Path

import grimp

PACKAGE = "tattletrail"

# Highest first; a module may import from its own layer and any layer below it. Names are relative to
# the package; a name that no longer exists is ignored (a module may move into a package of that name).
LAYERS: list[tuple[str, ...]] = [
    ("__main__",),
    ("cli",),
    ("ingest", "continuous", "metrics", "report", "coverage", "dashboards", "policy", "generate"),
    ("checks", "rules", "searches"),
    ("config", "config_lookup"),
    ("destinations",),
    ("alert",),
    ("stores",),
    ("query",),
    ("sources",),
    ("reader",),
    ("event",),
    ("packs", "config_files", "config_yaml", "errors", "timespec", "httpclient"),
]
MODULE_LINES, FUNCTION_LINES = 400, 50  # STYLE.md: beyond these a module or function usually hides two concepts


@dataclass(frozen=True)
class Import:
    importer: str
    imported: str
    line: int
    type_checking_only: bool

    def describe(self) -> str:
        how = " (under TYPE_CHECKING)" if self.type_checking_only else ""
        return f"`{_short(self.importer)}` → `{_short(self.imported)}` (line {self.line}){how}"


def build_graphs(package: str = PACKAGE) -> tuple[grimp.ImportGraph, grimp.ImportGraph]:
    """Every import, and the imports that run (without those under `if TYPE_CHECKING:`)."""
    return (grimp.build_graph(package, cache_dir=None),
            grimp.build_graph(package, cache_dir=None, exclude_type_checking_imports=True))


def import_cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """The groups of modules that import each other (strongly connected), biggest first; each list is
    sorted. A module's group is what it reaches and what reaches it."""
    cycles, seen = [], set()
    for module in sorted(graph.modules):
        if module in seen:
            continue
        group = {module} | (graph.find_upstream_modules(module) & graph.find_downstream_modules(module))
        seen |= group
        if len(group) > 1:
            cycles.append(sorted(group))
    return sorted(cycles, key=lambda group: (-len(group), group))


def one_loop(graph: grimp.ImportGraph, group: list[str]) -> list[str]:
    """The shortest way round a cycle group from its first module back to it, for a reader to follow."""
    start = group[0]
    chains = [graph.find_shortest_chain(imported, start)
              for imported in sorted(graph.find_modules_directly_imported_by(start)) if imported in group]
    shortest = min((chain for chain in chains if chain), key=lambda chain: (len(chain), chain))
    return [start, *shortest]


def layer_of(module: str, package: str = PACKAGE) -> int | None:
    """The index of the module's layer in LAYERS (0 is the highest), None if it is in none."""
    parts = module.split(".")
    top = parts[1] if len(parts) > 1 and parts[0] == package else None
    return next((index for index, layer in enumerate(LAYERS) if top in layer), None)


def upward_imports(graph: grimp.ImportGraph, runtime: grimp.ImportGraph) -> list[Import]:
    """Imports from a lower layer to a higher one, in module order."""
    found = []
    for importer in sorted(graph.modules):
        low = layer_of(importer)
        for imported in sorted(graph.find_modules_directly_imported_by(importer)):
            high = layer_of(imported)
            if low is None or high is None or high >= low:
                continue
            details = graph.get_import_details(importer=importer, imported=imported)
            line = min((detail["line_number"] for detail in details), default=0)
            only_typing = not runtime.direct_import_exists(importer=importer, imported=imported)
            found.append(Import(importer, imported, line, only_typing))
    return found


def module_sizes(root: Path) -> list[tuple[str, int]]:
    """(path relative to root's parent, lines) of every module, biggest first."""
    sizes = [(str(path.relative_to(root.parent)), len(path.read_text().splitlines())) for path in root.rglob("*.py")]
    return sorted(sizes, key=lambda size: (-size[1], size[0]))


def function_sizes(root: Path) -> list[tuple[str, int]]:
    """(`path:qualified.name`, lines from `def` to its last line) of every function, biggest first."""
    sizes = []
    for path in root.rglob("*.py"):
        tree = ast.parse(path.read_text(), filename=str(path))
        relative = path.relative_to(root.parent)
        for name, node in _functions(tree, ""):
            sizes.append((f"{relative}:{name}", (node.end_lineno or node.lineno) - node.lineno + 1))
    return sorted(sizes, key=lambda size: (-size[1], size[0]))


def _functions(node: ast.AST, prefix: str) -> list[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef]]:
    found: list[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef]] = []
    for child in ast.iter_child_nodes(node):
        if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
            found.append((prefix + child.name, child))
            found += _functions(child, f"{prefix}{child.name}.")
        elif isinstance(child, ast.ClassDef):
            found += _functions(child, f"{prefix}{child.name}.")
    return found


def picture(top: int) -> str:
    """The whole picture as markdown."""
    from common import run_header  # bench/common.py; not needed by tests/test_imports.py, which loads this file

    graph, runtime = build_graphs()
    root = _package_root()
    cycles, upward = import_cycles(graph), upward_imports(graph, runtime)
    modules, functions = module_sizes(root), function_sizes(root)
    imports = sum(len(graph.find_modules_directly_imported_by(module)) for module in graph.modules)
    lines = [run_header(),
             f"{len(graph.modules)} modules, {imports} imports between them; "
             f"{len(cycles)} import cycles ({sum(map(len, cycles))} modules in them); "
             f"{len(upward)} imports point back up; "
             f"{sum(size > MODULE_LINES for _, size in modules)} modules over {MODULE_LINES} lines; "
             f"{sum(size > FUNCTION_LINES for _, size in functions)} functions over {FUNCTION_LINES} lines.", "",
             "| import cycle | modules | one way round |", "|---|---:|---|"]
    for group in cycles:
        lines.append(f"| {', '.join(map(_short, group))} | {len(group)} | {' → '.join(map(_short, one_loop(graph, group)))} |")
    lines += ["", "| layer (highest first) | imports pointing back up, into a higher layer |", "|---|---|"]
    for index, layer in enumerate(LAYERS):
        here = [found.describe() for found in upward if layer_of(found.importer) == index]
        lines.append(f"| {', '.join(layer)} | {'; '.join(here) or '—'} |")
    lines += ["", "| biggest modules | lines |", "|---|---:|"]
    lines += [f"| {path} | {size} |" for path, size in modules[:top]]
    lines += ["", "| biggest functions | lines |", "|---|---:|"]
    lines += [f"| {name} | {size} |" for name, size in functions[:top]]
    return "\n".join(lines)


def _package_root() -> Path:
    return Path(importlib.import_module(PACKAGE).__file__ or "").parent


def _short(module: str) -> str:
    return module.removeprefix(PACKAGE + ".")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--top", type=int, default=10, help="how many of the biggest modules and functions")
    print(picture(parser.parse_args().top))


if __name__ == "__main__":
    main()
