"""The package graph is a line, read from the imports themselves (those inside functions and
TYPE_CHECKING blocks too): plugins at the bottom importing nothing of the domain, then clue_env,
integrations, agents, evaluation, trainers, commands (the subcommands), and cli at the top. Every top-level package is on the
line. And torchtune stays behind one module."""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
ORDER = ("plugins", "clue_env", "integrations", "agents", "evaluation", "trainers", "commands", "cli")
#: Top-level packages that are not part of the product: the tests (and what they alone use).
NOT_SHIPPED = ("tests",)


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
    assert upward == [], "imports against the line " + " < ".join(ORDER)


def test_every_top_level_package_is_on_the_line():
    packages = {p.parent.name for p in REPO.glob("*/__init__.py")} | {p.stem for p in REPO.glob("*.py")}
    assert packages - set(NOT_SHIPPED) == set(ORDER), "add the package to ORDER (its place on the line)"


def test_the_wheel_ships_exactly_the_packages_on_the_line():
    import tomllib

    setuptools = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert setuptools["py-modules"] == ["cli"]
    assert sorted(setuptools["packages"]["find"]["include"]) == sorted(f"{p}*" for p in ORDER if p != "cli")


def test_plugins_import_nothing_of_the_domain():
    for pkg, py in _sources():
        if pkg == "plugins":
            assert not (_imports(py, pkg) & (set(ORDER) - {"plugins"})), py


def test_torchtune_is_imported_by_one_module_only():
    users = {str(py.relative_to(REPO)) for pkg, py in _sources() if "torchtune" in _imports(py, pkg)}
    assert users == {"trainers/tune.py"}


def test_vllm_is_imported_only_by_the_vllm_agent_and_the_weight_sync():
    users = {str(py.relative_to(REPO)) for pkg, py in _sources() if "vllm" in _imports(py, pkg)}
    assert all(user.startswith("agents/vllm/") or user == "trainers/weight_sync.py" for user in users), users


def test_the_weight_sync_imports_the_weights_part_of_the_vllm_agent_only():
    imported = set()
    for node in ast.walk(ast.parse((REPO / "trainers" / "weight_sync.py").read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            imported.add(node.module or "")
        elif isinstance(node, ast.Import):
            imported |= {a.name for a in node.names}
    assert {m for m in imported if m.split(".")[0] == "agents"} == {"agents.vllm.weights"}


def test_no_module_imports_another_modules_private_names():
    """A name with a leading underscore is its module's own: what another module needs is public."""
    private = []
    for _, py in _sources():
        for node in ast.walk(ast.parse(py.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module != "__future__":
                names = [a.name for a in node.names if a.name.startswith("_") and not a.name.startswith("__")]
                private += [f"{py.relative_to(REPO)}: {node.module} {n}" for n in names]
    assert private == []


def test_no_file_is_past_600_lines():
    """One file, one job: past ~600 lines a file usually holds two."""
    long = {}
    for _, py in _sources():
        n = len(py.read_text(encoding="utf-8").splitlines())
        if n > 600:
            long[str(py.relative_to(REPO))] = n
    assert long == {}
