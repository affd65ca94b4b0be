"""The pure library never imports prefect (directly or through anything it imports)."""

import pkgutil
import subprocess
import sys
from pathlib import Path

import sop

ROOT = Path(__file__).parents[2]


def test_sop_never_imports_prefect():
    modules = [m.name for m in pkgutil.walk_packages(sop.__path__, "sop.")]
    assert len(modules) > 10
    code = ("import importlib, sys\n"
            f"for m in {modules!r}: importlib.import_module(m)\n"
            "bad = sorted(m for m in sys.modules if m == 'prefect' or m.startswith('prefect.'))\n"
            "print(','.join(bad))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                         check=True)
    assert out.stdout.strip() == "", f"sop imported: {out.stdout.strip()}"


def test_no_source_file_in_sop_mentions_prefect_or_environ():
    for path in (ROOT / "sop").rglob("*.py"):
        text = path.read_text()
        assert "import prefect" not in text and "from prefect" not in text, path
        assert "os.environ" not in text and "getenv" not in text, path


def test_modules_stay_small():
    for folder in ("sop", "tasks", "flows", "reports", "cli"):
        for path in (ROOT / folder).rglob("*.py"):
            n = len(path.read_text().splitlines())
            assert n <= 300, f"{path.relative_to(ROOT)} has {n} lines; split it by domain"


def test_tasks_are_thin_wrappers_around_sop():
    """Each task's body is a call into sop/ (or reports/) plus logging and artifacts: it
    imports its work from there and stays a few statements long."""
    import ast

    for path in sorted((ROOT / "tasks").glob("*.py")):
        tree = ast.parse(path.read_text())
        imported = {a.asname or a.name for node in ast.walk(tree)
                    if isinstance(node, ast.ImportFrom) and node.module
                    and node.module.split(".")[0] in ("sop", "reports") for a in node.names}
        for fn in (n for n in tree.body if isinstance(n, ast.FunctionDef)):
            if not any(isinstance(d, ast.Call) and getattr(d.func, "id", "") == "task"
                       for d in fn.decorator_list):
                continue
            called = {c.func.id for c in ast.walk(fn) if isinstance(c, ast.Call)
                      and isinstance(c.func, ast.Name)}
            assert called & imported, f"{path.name}:{fn.name} calls nothing from sop/"
            statements = sum(isinstance(n, ast.stmt) for n in ast.walk(fn)) - 1
            assert statements <= 16, f"{path.name}:{fn.name} has {statements} statements"
