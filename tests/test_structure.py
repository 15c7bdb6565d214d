"""The code's structure: no private names imported across modules, no import cycles.

A name with a leading underscore is private to where it is defined: an attribute
``_x`` of module ``a.b.m`` to that module, a module ``a.b._m`` to its package ``a.b``
(and the modules below it). What two modules share is public. Read from the source
with :mod:`ast` (nothing is imported).
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src"


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted(SRC.rglob("*.py")):
        parts = path.relative_to(SRC).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = path
    return out


MODULES = _modules()


def _imports(tree: ast.Module) -> list[tuple[ast.stmt, str, bool]]:
    """(statement, dotted name imported, at module level) for every import of a mezzo name."""
    top = set()
    for node in tree.body:  # module level, including under if/try (not TYPE_CHECKING: never run)
        top.add(node)
        if isinstance(node, (ast.If, ast.Try)) and "TYPE_CHECKING" not in ast.unparse(getattr(node, "test", node)):
            top.update(getattr(node, "body", []))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node, a.name, node in top) for a in node.names if a.name.split(".")[0] == "mezzo"]
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "mezzo":
            found += [(node, f"{node.module}.{a.name}", node in top) for a in node.names]
    return found


def _private_owner(dotted: str) -> str | None:
    """The module or package that the first private part of ``dotted`` is private to."""
    parts = dotted.split(".")
    for i, part in enumerate(parts):
        if part.startswith("_") and not part.startswith("__"):
            return ".".join(parts[:i])
    return None


def _resolve(dotted: str) -> str | None:
    """The mezzo module that ``dotted`` (a module, or a name in one) lives in."""
    while dotted and dotted not in MODULES:
        dotted = dotted.rpartition(".")[0]
    return dotted or None


def test_no_private_name_is_imported_across_modules():
    offences = []
    for module, path in MODULES.items():
        for node, dotted, _ in _imports(ast.parse(path.read_text(encoding="utf-8"))):
            owner = _private_owner(dotted)
            if owner is not None and module != owner and not module.startswith(owner + "."):
                offences.append(f"{module}:{node.lineno} imports {dotted} (private to {owner})")
    assert not offences, "\n".join(offences)


def test_no_import_cycles_at_module_level():
    graph: dict[str, set[str]] = {m: set() for m in MODULES}
    for module, path in MODULES.items():
        for _, dotted, at_top in _imports(ast.parse(path.read_text(encoding="utf-8"))):
            target = _resolve(dotted)
            if at_top and target is not None and target != module and not module.startswith(target + "."):
                graph[module].add(target)  # importing a parent package is not a cycle of its own
    cycles = []
    state: dict[str, int] = {}  # 1 on the path, 2 done

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append(" -> ".join([*path[path.index(nxt) :], nxt]))
            elif nxt not in state:
                visit(nxt, [*path, nxt])
        state[node] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert not cycles, "\n".join(cycles)


def test_the_scan_sees_what_it_should():
    # the checks above cannot pass by seeing nothing
    assert {"mezzo.cli.app", "mezzo.meters.peak", "mezzo.processors.params"} <= set(MODULES)
    tree = ast.parse("from mezzo.report.plots import _x\nimport mezzo.processors._params\n")
    owners = [_private_owner(dotted) for _, dotted, _ in _imports(tree)]
    assert owners == ["mezzo.report.plots", "mezzo.processors"]
