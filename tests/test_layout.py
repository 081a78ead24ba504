"""The code base keeps the shape the README promises: small files, an engine that imports nothing
above it, no private names shared between files, and one import cycle (tensor <-> ops)."""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("tinygrad_nlp", "models", "viz")
SOURCES = sorted(p for pkg in PACKAGES + ("examples", "benchmarks") for p in (ROOT / pkg).rglob("*.py"))


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path, top_level_only: bool = False) -> list[tuple[str, list[str]]]:
    """(absolute module, imported names) for every `from ... import ...` in the file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    out = []
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    for node in nodes:
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            out.append((mod, [a.name for a in node.names]))
        elif isinstance(node, ast.Import):
            out.extend((a.name, []) for a in node.names)
    return out


def test_no_private_name_is_imported_from_another_file():
    offenders = [f"{p.relative_to(ROOT)}: from {mod} import {name}"
                 for p in SOURCES for mod, names in imports(p) for name in names
                 if name.startswith("_") and mod != "__future__"]
    assert not offenders, "\n".join(offenders)


def test_the_engine_imports_nothing_above_it():
    engine = sorted((ROOT / "tinygrad_nlp" / "engine").rglob("*.py"))
    above = ("tinygrad_nlp.tensor_methods", "tinygrad_nlp.creation", "tinygrad_nlp.nn", "tinygrad_nlp.data", "tinygrad_nlp.evaluation", "tinygrad_nlp.optim", "viz", "models")
    offenders = [f"{p.relative_to(ROOT)} imports {mod}" for p in engine for mod, _ in imports(p) if mod.startswith(above)]
    assert not offenders, "\n".join(offenders)


def test_no_source_file_is_over_400_lines():
    long = [f"{p.relative_to(ROOT)}: {n} lines" for p in SOURCES if (n := len(p.read_text(encoding="utf-8").splitlines())) > 400]
    assert not long, "\n".join(long)


def test_the_only_module_level_import_cycle_is_tensor_and_ops():
    mods = {module_name(p): p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py")}
    def targets(mod: str, names: list[str]) -> set[str]:  # `from pkg import submodule` imports the submodule
        subs = {f"{mod}.{n}" for n in names if f"{mod}.{n}" in mods}
        return subs or ({mod} if mod in mods else set())

    graph = {m: set().union(*[targets(d, names) for d, names in imports(p, top_level_only=True)]) - {m} for m, p in mods.items()}
    # strongly connected components (Tarjan, iterative enough for a few dozen modules)
    index, low, stack, on, comps, counter = {}, {}, [], set(), [], [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = set()
            while True:
                w = stack.pop()
                on.discard(w)
                comp.add(w)
                if w == v:
                    break
            comps.append(comp)

    for m in graph:
        if m not in index:
            visit(m)
    cycles = [sorted(c) for c in comps if len(c) > 1]
    allowed = {"tinygrad_nlp.engine.tensor"} | {m for m in mods if m.startswith("tinygrad_nlp.engine.ops")}
    assert all(set(c) <= allowed for c in cycles), cycles
