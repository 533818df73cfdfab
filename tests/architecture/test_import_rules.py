"""The import rules of ARCHITECTURE.md, held against every module of the package.

Each module belongs to the layer its folder names; it may import evanchor modules only from
the layers ARCHITECTURE.md allows for it. Imports inside functions count as much as those at
the top: a lazy import is still a dependency.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# The layer of a module is the longest prefix of its dotted name listed here.
ALLOWED: dict[str, set[str]] = {
    "evanchor.anchor.errors": set(),
    "evanchor.anchor": {"evanchor.anchor.errors"},  # the package's own __init__
    "evanchor.anchor.protocol": {"evanchor.anchor.errors"},
    "evanchor.anchor.verify": {
        "evanchor.anchor.errors",
        "evanchor.anchor.protocol",
        "evanchor.contracts",
    },
    "evanchor.anchor.log": {"evanchor.anchor.errors", "evanchor.anchor.protocol"},
    "evanchor.anchor.report": {
        "evanchor.anchor.errors",
        "evanchor.anchor.protocol",
        "evanchor.anchor.verify",
    },
    # A court runs the witness with nothing else of evanchor's: no log, chain or node.
    "evanchor.anchor.witness": {
        "evanchor.anchor.errors",
        "evanchor.anchor.protocol",
        "evanchor.anchor.verify",
    },
    "evanchor.anchor.ethereum": {
        "evanchor.anchor.errors",
        "evanchor.anchor.protocol",
        "evanchor.anchor.verify",
        "evanchor.anchor.log",
        "evanchor.contracts",
    },
    "evanchor.anchor.compliance": {
        "evanchor.anchor.errors",
        "evanchor.anchor.protocol",
        "evanchor.anchor.verify",
    },
    "evanchor.contracts": {"evanchor.anchor.errors"},
    "evanchor.node": set(),
    "evanchor.node.chain": {"evanchor.anchor.errors"},
    "evanchor.node.daemon": {
        "evanchor.anchor",
        "evanchor.contracts",
        "evanchor.node.chain",
    },
    "evanchor.cli": {"evanchor.anchor", "evanchor.contracts", "evanchor.node"},
}
FOLDERS = {"anchor": "evanchor.anchor", "node": "evanchor.node", "cli": "evanchor.cli",
           "contracts": "evanchor.contracts"}  # fmt: skip


def _layer(module: str) -> str:
    candidates = [name for name in ALLOWED if module == name or module.startswith(name + ".")]
    assert candidates, f"{module} is in no layer of ARCHITECTURE.md"
    return max(candidates, key=len)


def _modules() -> list[tuple[str, Path]]:
    found = []
    for folder, package in FOLDERS.items():
        for path in sorted((ROOT / folder).rglob("*.py")):
            if "node_modules" in path.parts:
                continue
            relative = path.relative_to(ROOT / folder).with_suffix("")
            parts = [p for p in relative.parts if p != "__init__"]
            found.append((".".join([package, *parts]), path))
    return found


def _imports(module: str, path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path}:{node.lineno}: relative import"
            base = node.module or ""
            # `from evanchor.anchor.protocol import merkle` imports a module of that package.
            names += [(node.lineno, f"{base}.{alias.name}") for alias in node.names]
    return [(line, name) for line, name in names if name.startswith("evanchor.")]


MODULES = _modules()


def test_every_folder_has_modules() -> None:
    layers = {_layer(module) for module, _ in MODULES}
    assert layers >= set(ALLOWED) - {"evanchor.anchor.errors"}


@pytest.mark.parametrize(("module", "path"), MODULES, ids=[m for m, _ in MODULES])
def test_module_imports_only_allowed_layers(module: str, path: Path) -> None:
    own = _layer(module)
    allowed = ALLOWED[own]
    bad = []
    for line, name in _imports(module, path):
        target = _layer(name)
        if target == own:
            continue
        if not any(target == a or target.startswith(a + ".") for a in allowed):
            bad.append(f"{path.relative_to(ROOT)}:{line} imports {name} ({target})")
    assert not bad, f"{own} may import only {sorted(allowed)}:\n" + "\n".join(bad)


def test_rule_catches_a_forbidden_import(tmp_path: Path) -> None:
    """The check is not vacuous: a verifier importing the log is refused."""
    path = tmp_path / "bad.py"
    path.write_text("from evanchor.anchor.log.store import LogStore\n", encoding="utf-8")
    imports = _imports("evanchor.anchor.verify.bad", path)
    target = _layer(imports[0][1])
    assert target == "evanchor.anchor.log"
    assert target not in ALLOWED["evanchor.anchor.verify"]


def _private_imports(path: Path) -> list[str]:
    """`from evanchor.x import _name` in `path`: a module using another's private name."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}:{node.lineno}"
        f" imports {node.module}.{alias.name}"
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("evanchor.")
        for alias in node.names
        if alias.name.startswith("_") and not alias.name.startswith("__")
    ]


def test_no_module_imports_another_modules_private_names() -> None:
    """What two modules share is public in the module that owns it (ARCHITECTURE.md)."""
    bad = [line for _, path in MODULES for line in _private_imports(path)]
    assert not bad, "private names imported across modules:\n" + "\n".join(bad)


def test_private_import_rule_is_not_vacuous(tmp_path: Path) -> None:
    path = tmp_path / "bad.py"
    path.write_text("from evanchor.node.daemon.api import _lang, SERVICE\n", encoding="utf-8")
    assert _private_imports(path) == [f"{path}:1 imports evanchor.node.daemon.api._lang"]
