"""The subpackages import each other only downwards, as ARCHITECTURE.md draws them: every
import in src/ (including those inside functions) is checked against one small table."""

from __future__ import annotations

import ast
from pathlib import Path

from conftest import PROJECT

PACKAGE = "formulactl"
# Lowest first: a subpackage may import its own modules and those of the layers before it.
LAYERS = (
    "errors",
    "parallel",
    "model",
    "git",
    "store",
    "crypto",
    "rules",
    "audit",
    "actions",
    "formulation",
    "trace",
    "archive",
    "reports",
    "exchange",
    "integration",
    "cli",
)
# Narrower than the layer order, where a part must stay a leaf.
ONLY: dict[str, frozenset[str]] = {
    "errors": frozenset(),
    "parallel": frozenset({"errors"}),
    "model": frozenset({"errors"}),
    "git": frozenset({"errors"}),
    # the pyrage/AEAD module itself stays free of files, schemas and git
    "crypto.crypto": frozenset({"errors", "model"}),
}


def allowed(importer: str, imported: str) -> bool:
    """May module `importer` (dotted, below formulactl) import module `imported`?"""
    here, there = importer.split(".")[0], imported.split(".")[0]
    if there == here or there == "":
        return True
    for scope in (importer, here):
        if scope in ONLY:
            return there in ONLY[scope]
    return LAYERS.index(there) < LAYERS.index(here)


def module_name(source: Path, root: Path) -> str:
    parts = list(source.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(source: Path, name: str) -> list[tuple[int, str]]:
    """(line, module below formulactl) for every formulactl import in the file."""
    package = name.split(".") if source.name == "__init__.py" else name.split(".")[:-1]
    found = []
    for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                targets = [".".join([PACKAGE, *base, *([node.module] if node.module else [])])]
            else:
                targets = [node.module or ""]
        else:
            continue
        for target in targets:
            if target == PACKAGE or target.startswith(PACKAGE + "."):
                found.append((node.lineno, target.removeprefix(PACKAGE).lstrip(".")))
    return found


def broken_rules(root: Path) -> list[str]:
    """One line per import that climbs up the table, as `file:line: a imports b`."""
    broken = []
    for source in sorted(root.rglob("*.py")):
        name = module_name(source, root)
        if "." not in name and name in ("__init__", "__main__", ""):
            continue
        for line, target in imports_of(source, name):
            if target and not allowed(name, target):
                broken.append(f"{source.relative_to(root)}:{line}: {name} imports {target}")
    return broken


def test_every_import_in_src_follows_the_layer_table() -> None:
    assert broken_rules(PROJECT / "src" / PACKAGE) == []


def test_every_subpackage_has_a_place_in_the_table() -> None:
    root = PROJECT / "src" / PACKAGE
    names = {p.stem for p in root.glob("*.py")} | {p.name for p in root.iterdir() if p.is_dir()}
    unplaced = names - set(LAYERS) - {"__init__", "__main__", "__pycache__", "schemas", "hooks"}
    assert unplaced == set()


def test_an_upward_import_is_reported_with_its_place(tmp_path: Path) -> None:
    for folder in ("store", "audit", "crypto", "git"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "__init__.py").write_text("")
    (tmp_path / "store" / "files.py").write_text(
        "from formulactl.model.kinds import KINDS\n"
        "def late():\n    from formulactl.audit.history import History\n"
    )
    (tmp_path / "crypto" / "crypto.py").write_text("from ..store import files\n")
    (tmp_path / "git" / "gitio.py").write_text("import formulactl.model.kinds\n")
    assert broken_rules(tmp_path) == [
        "crypto/crypto.py:1: crypto.crypto imports store",
        "git/gitio.py:1: git.gitio imports model.kinds",
        "store/files.py:3: store.files imports audit.history",
    ]
