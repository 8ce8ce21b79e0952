"""SQL lives in ``dispatcher/store/`` (issue 17): no other module of the package builds a
statement or runs one.

Scanned by AST, so words like ``risk_text(`` or ``decode_text(`` do not count: a module outside
the store fails when it imports a statement builder (``select``, ``update``, ``delete``,
``insert``, ``text``, ``func``, ``col`` …) from SQLAlchemy or SQLModel, calls one by name, or calls
``.exec(`` / ``.execute(`` on anything (a session or a connection). Opening a session, ``get``,
``add`` and ``delete`` of a row remain allowed: they build no SQL.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "dispatcher"
STORE = PACKAGE / "store"

#: Statement builders of SQLAlchemy and SQLModel.
BUILDERS = {"select", "update", "delete", "insert", "text", "func", "col", "and_", "or_",
            "not_", "exists", "literal", "literal_column", "case", "union", "bindparam"}
#: Methods that run a statement.
RUNNERS = {"exec", "execute", "scalars", "scalar"}
#: Modules whose SQL has not moved yet, with why (none left).
ALLOWED: set[str] = set()


def _offences(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    builders: set[str] = set()
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and (
                node.module.split(".")[0] in ("sqlalchemy", "sqlmodel")):
            for alias in node.names:
                if alias.name in BUILDERS:
                    builders.add(alias.asname or alias.name)
                    out.append(f"{node.lineno}: imports {alias.name} from {node.module}")
        elif isinstance(node, ast.Call):
            f = node.func
            if isinstance(f, ast.Name) and f.id in builders:
                out.append(f"{node.lineno}: calls {f.id}(")
            elif isinstance(f, ast.Attribute) and f.attr in RUNNERS:
                out.append(f"{node.lineno}: calls .{f.attr}(")
    return out


def test_sql_lives_in_store() -> None:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE)
        if path.is_relative_to(STORE) or rel.as_posix() in ALLOWED:
            continue
        found += [f"dispatcher/{rel.as_posix()}:{o}" for o in _offences(path)]
    assert not found, "SQL outside dispatcher/store/ (move it into a repository function):\n" \
        + "\n".join(found)


def test_the_scan_finds_sql(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("from sqlmodel import select\n"
                      "def f(s):\n    return s.exec(select(1)).all()\n"
                      "def g(x):\n    return risk_text(x)\n", encoding="utf-8")
    found = _offences(sample)
    assert sorted(found) == ["1: imports select from sqlmodel", "3: calls .exec(",
                             "3: calls select("]
