"""No import cycles in the backend (function-level imports count: they are edges too), beyond the launcher seam.

Issue 21 removed five: builtin <-> workspace (and models.ref), chat_cli <-> serve, data.build <-> data.streaming,
data.stream <-> stream_json <-> stream_tabular, tokenizer <-> tokenizer_build; each now shares a small module
(backend.paths, backend.chat.args, backend.data.build_parts, backend.data.stream_items, backend.tokenizer.errors).
The contracts in pyproject.toml ([tool.importlinter], `lint-imports`) guard the other boundaries.
"""

from __future__ import annotations

import grimp

# The cycles left are all inside the run/launcher code that issue 21 part 2 regroups (backend/run/).
SEAM = ("backend.jobs", "backend.preflight", "backend.run.")


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


def test_no_import_cycles_in_the_backend_outside_the_launcher_seam():
    graph = grimp.build_graph("backend", cache_dir=None)
    assert "backend.data.build_parts" in graph.modules  # this checkout's backend, not another one on the path
    bad = [c for c in _cycles(graph) if not all(m.startswith(SEAM) for m in c)]
    assert not bad, "import cycles:\n" + "\n\n".join(_explain(graph, c) for c in bad)
