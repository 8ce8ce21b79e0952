"""Code shape (issue 17): no module of dispatcher/, routing/ or gtfs/ over 500 lines, no
function over 80 (scripts/code_shape.py)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _code_shape():
    spec = importlib.util.spec_from_file_location("code_shape", REPO / "scripts" / "code_shape.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["code_shape"] = module
    spec.loader.exec_module(module)
    return module


def test_dispatcher_modules_and_functions_are_short(capsys):
    """The check passes on the repository (exit 0) and lists nothing enforced."""
    shape = _code_shape()
    assert shape.main([]) == 0, capsys.readouterr().out
    assert [b for b in shape.breaches() if b.status == "FAIL"] == []


def test_the_check_sees_long_functions_and_modules(tmp_path):
    """A long function and a long module in dispatcher/ fail, a long method in routing/ too;
    migration versions are allowed."""
    shape = _code_shape()
    long_fn = "def f():\n" + "    x = 1\n" * 85
    (tmp_path / "dispatcher" / "store" / "migrations" / "versions").mkdir(parents=True)
    (tmp_path / "routing").mkdir()
    (tmp_path / "gtfs").mkdir()
    (tmp_path / "dispatcher" / "long.py").write_text(long_fn + "\n" * 450)
    (tmp_path / "dispatcher" / "store" / "migrations" / "versions" / "0001_x.py").write_text(
        long_fn + "\n" * 450)
    (tmp_path / "routing" / "r.py").write_text("class C:\n    " + long_fn.replace("\n", "\n    "))
    found = {(b.path, b.kind, b.status) for b in shape.breaches(tmp_path)}
    assert found == {("dispatcher/long.py", "module", "FAIL"),
                     ("dispatcher/long.py", "function", "FAIL"),
                     ("routing/r.py", "function", "FAIL")}
    assert shape.main(["--repo", str(tmp_path)]) == 1
