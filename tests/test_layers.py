"""The layers' contracts (pyproject.toml, [tool.importlinter]) hold, and no module import cycle anywhere.

A broken contract fails with import-linter's own report: which import, at which line, along which chain.
"""

from __future__ import annotations

import subprocess
import sys

import grimp
import pytest

from tests.conftest import ROOT

PRODUCT = ("bot", "handlers", "scheduler", "storage")
LINT_IMPORTS = "from importlinter.cli import lint_imports_command; lint_imports_command()"


def test_the_import_contracts_are_kept():
    done = subprocess.run(
        [sys.executable, "-c", LINT_IMPORTS, "--no-cache", "--no-logo", str(ROOT / "pyproject.toml")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
        check=False,
    )
    if done.returncode != 0:
        pytest.fail(done.stdout + done.stderr, pytrace=False)


def _cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """The strongly connected groups of modules (two or more that import each other in a circle)."""
    order: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(module: str) -> None:  # Tarjan's algorithm
        order[module] = low[module] = len(order)
        stack.append(module)
        for imported in sorted(graph.find_modules_directly_imported_by(module)):
            if imported not in order:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in stack:
                low[module] = min(low[module], order[imported])
        if low[module] == order[module]:
            group = []
            while not group or group[-1] != module:
                group.append(stack.pop())
            if len(group) > 1:
                found.append(sorted(group))

    for module in sorted(graph.modules):
        if module not in order:
            visit(module)
    return found


def test_no_import_cycle_between_modules():
    """Also across the root packages and among bot's own modules, which acyclic_siblings does not see."""
    graph = grimp.build_graph(*PRODUCT)
    report = []
    for group in _cycles(graph):
        first, other = group[0], group[1]
        there = graph.find_shortest_chain(first, other)
        back = graph.find_shortest_chain(other, first)
        report.append(f"{', '.join(group)}: {' -> '.join(there)} -> {' -> '.join(back[1:])}")
    if report:
        pytest.fail("import cycles:\n" + "\n".join(report), pytrace=False)


def test_no_session_is_reached_for_outside_storage():
    """The contracts keep SQLAlchemy's imports in storage; this keeps its session there too."""
    offenders = [
        f"{path.relative_to(ROOT)}:{number}"
        for folder in ("bot", "handlers", "scheduler")
        for path in sorted((ROOT / folder).rglob("*.py"))
        if "ops" not in path.parts and "cli" not in path.parts  # backups, health, the demo: whole databases
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if "repo.session" in line or "AsyncSession" in line
    ]
    assert offenders == []
