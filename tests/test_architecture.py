"""The package graph is a line, read from the imports themselves (those inside functions and
TYPE_CHECKING blocks too): plugins at the bottom importing nothing of the domain, then clue_env,
testing, agents, evaluation, trainers, and cli at the top. And torchtune stays behind one module."""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
ORDER = ("plugins", "clue_env", "integrations", "testing", "agents", "evaluation", "trainers", "cli")


def _sources():
    for pkg in ORDER:
        root = REPO / pkg
        yield from ((pkg, py) for py in ([root.with_suffix(".py")] if pkg == "cli" else sorted(root.rglob("*.py"))))


def _imports(py: Path, pkg: str) -> set[str]:
    """Top-level names imported by ``py`` (relative imports resolve inside its own package)."""
    out = set()
    for node in ast.walk(ast.parse(py.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            out.add(pkg if node.level else (node.module or "").split(".")[0])
    return out


def test_the_package_graph_is_a_line():
    rank = {pkg: i for i, pkg in enumerate(ORDER)}
    upward = []
    for pkg, py in _sources():
        for target in _imports(py, pkg) & set(ORDER):
            if rank[target] > rank[pkg]:
                upward.append(f"{py.relative_to(REPO)} imports {target}")
    assert upward == [], "imports against the line plugins < clue_env < testing < agents < evaluation < trainers < cli"


def test_plugins_import_nothing_of_the_domain():
    for pkg, py in _sources():
        if pkg == "plugins":
            assert not (_imports(py, pkg) & (set(ORDER) - {"plugins"})), py


def test_torchtune_is_imported_by_one_module_only():
    users = {str(py.relative_to(REPO)) for pkg, py in _sources() if "torchtune" in _imports(py, pkg)}
    assert users == {"trainers/tune.py"}


def test_vllm_is_imported_only_by_the_vllm_agent_and_the_weight_sync():
    users = {str(py.relative_to(REPO)) for pkg, py in _sources() if "vllm" in _imports(py, pkg)}
    assert users <= {"agents/vllm_agent.py", "trainers/weight_sync.py"}, users
