"""Code shape check (issue 17): no module over 500 lines, no function over 80 lines.

Walks ``dispatcher/``, ``routing/`` and ``gtfs/`` (``ENFORCED``) and lists the modules longer
than ``MAX_MODULE_LINES`` and the functions (``def`` and ``async def``, methods and nested
functions included) longer than ``MAX_FUNCTION_LINES``, counted from the ``def`` line to the
function's last line. Alembic migration versions are allowed to be long (generated
schema code). Prints a table and exits 1 when an enforced path breaks a limit.

Run: ``python scripts/code_shape.py``.
"""

from __future__ import annotations

import argparse
import ast
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from fnmatch import fnmatch
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 80
ENFORCED = ("dispatcher", "routing", "gtfs")

# Generated schema code: long by nature, never edited after release.
ALLOWED = ("dispatcher/store/migrations/versions/*.py",)


@dataclass(frozen=True, slots=True)
class Breach:
    """One module or function over its limit."""

    path: str
    line: int
    kind: str  # "module" or "function"
    name: str
    lines: int
    limit: int
    status: str  # "FAIL": every breach of an enforced package fails


def _status(rel: str) -> str | None:
    """How a breach in ``rel`` counts; ``None`` for allowed files."""
    if any(fnmatch(rel, pat) for pat in ALLOWED):
        return None
    return "FAIL"


def _functions(tree: ast.AST) -> Iterator[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef]]:
    """Every function of a module with its dotted name (``Class.method``, ``outer.inner``)."""
    def walk(node: ast.AST, prefix: str) -> Iterator[tuple[str, ast.FunctionDef
                                                         | ast.AsyncFunctionDef]]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                name = f"{prefix}{child.name}"
                yield name, child
                yield from walk(child, f"{name}.")
            elif isinstance(child, ast.ClassDef):
                yield from walk(child, f"{prefix}{child.name}.")
            else:
                yield from walk(child, prefix)

    yield from walk(tree, "")


def file_breaches(path: Path, rel: str) -> list[Breach]:
    """The breaches of one file (whatever their status; allowed files have none)."""
    status = _status(rel)
    if status is None:
        return []
    text = path.read_text(encoding="utf-8")
    out = []
    n_lines = len(text.splitlines())
    if n_lines > MAX_MODULE_LINES:
        out.append(Breach(rel, 1, "module", rel, n_lines, MAX_MODULE_LINES, status))
    for name, fn in _functions(ast.parse(text, filename=rel)):
        span = (fn.end_lineno or fn.lineno) - fn.lineno + 1
        if span > MAX_FUNCTION_LINES:
            out.append(Breach(rel, fn.lineno, "function", name, span, MAX_FUNCTION_LINES, status))
    return out


def breaches(repo: Path = REPO) -> list[Breach]:
    """Every breach under the enforced packages, by path and line."""
    out: list[Breach] = []
    for root in ENFORCED:
        for path in sorted((repo / root).rglob("*.py")):
            out.extend(file_breaches(path, path.relative_to(repo).as_posix()))
    return out


def table(found: list[Breach]) -> str:
    """The breaches as a plain-text table."""
    rows = [("status", "kind", "lines", "limit", "where", "name")]
    rows += [(b.status, b.kind, str(b.lines), str(b.limit), f"{b.path}:{b.line}", b.name)
             for b in found]
    widths = [max(len(r[k]) for r in rows) for k in range(len(rows[0]) - 1)]
    return "\n".join("  ".join([*(c.ljust(w) for c, w in zip(r[:-1], widths, strict=True)),
                                r[-1]]).rstrip()
                     for r in rows)


def main(argv: list[str] | None = None) -> int:
    """Print the breaches; 1 when an enforced one remains."""
    ap = argparse.ArgumentParser(prog="python scripts/code_shape.py", description=__doc__)
    ap.add_argument("--repo", type=Path, default=REPO, help="repository root (default: this one)")
    args = ap.parse_args(argv)
    found = breaches(args.repo)
    failing = [b for b in found if b.status == "FAIL"]
    if found:
        print(table(found))
    print(f"{len(failing)} enforced breach(es) of {MAX_MODULE_LINES} lines per module / "
          f"{MAX_FUNCTION_LINES} per function in {', '.join(ENFORCED)}")
    return 1 if failing else 0


if __name__ == "__main__":
    sys.exit(main())
