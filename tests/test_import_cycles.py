"""No import cycles in the backend (function-level imports count: they are edges too).

Issue 21 removed seven: builtin <-> workspace (and models.ref), chat CLI <-> serve, data.build <-> data.streaming,
data.stream <-> stream_json <-> stream_tabular, tokenizer <-> tokenizer_build, the registry/queue <-> the
launchers, preflight <-> the Slurm pre-flight. Each now shares a small module (backend.paths, backend.chat.args,
backend.data.build_parts, backend.data.stream_items, backend.tokenizer.errors, backend.run.registry with the
Launcher protocol that the queue calls and no launcher imports the queue, backend.checks).
The contracts in pyproject.toml ([tool.importlinter], `lint-imports`) guard the other boundaries.
"""

from __future__ import annotations

import grimp


def _cycles(graph) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan, iterative)."""
    mods = sorted(m for m in graph.modules if m == "backend" or m.startswith("backend."))
    adj = {m: sorted(x for x in graph.find_modules_directly_imported_by(m) if x in mods) for m in mods}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []
    for root in mods:
        if root in index:
            continue
        work = [(root, 0)]
        while work:
            node, i = work.pop()
            if i == 0:
                index[node] = low[node] = len(index)
                stack.append(node)
                on_stack.add(node)
            if i < len(adj[node]):
                work.append((node, i + 1))
                nxt = adj[node][i]
                if nxt not in index:
                    work.append((nxt, 0))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return found


def _explain(graph, component: list[str]) -> str:
    lines = []
    for a in component:
        for b in component:
            for d in graph.get_import_details(importer=a, imported=b):
                lines.append(f"  {a} -> {b} (line {d['line_number']}: {d['line_contents']})")
    return "\n".join(lines)


def test_the_cycle_finder_finds_a_cycle():
    graph = grimp.ImportGraph()
    for m in ("backend", "backend.a", "backend.b", "backend.c"):
        graph.add_module(m)
    graph.add_import(importer="backend.a", imported="backend.b")
    graph.add_import(importer="backend.b", imported="backend.a")
    graph.add_import(importer="backend.b", imported="backend.c")
    assert _cycles(graph) == [["backend.a", "backend.b"]]


def test_no_import_cycles_in_the_backend():
    graph = grimp.build_graph("backend", cache_dir=None)
    assert "backend.run.queue" in graph.modules  # this checkout's backend, not another one on the path
    bad = _cycles(graph)
    assert not bad, "import cycles:\n" + "\n\n".join(_explain(graph, c) for c in bad)


def test_the_data_mix_viewer_imports_the_backend_only():
    """sampler_viewer.py is one module (import-linter sees it only as an import target): its own imports, every
    one of them, name no other front end; its mixing logic is backend.data.mix_policy."""
    import ast
    from pathlib import Path

    tree = ast.parse((Path(__file__).resolve().parents[1] / "sampler_viewer.py").read_text(encoding="utf-8"))
    names = [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    names += [n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module]
    assert "backend.data.mix_policy" in names or "backend.data" in names
    assert [m for m in names if m.split(".")[0] in ("studio", "cli")] == []
