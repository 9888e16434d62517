"""Import rules: the contracts of ``.importlinter`` (checked by import-linter's ``lint-imports``) and the pages' imports.

The monitor package keeps Streamlit out, and its pure computation and types (drift, explanations,
KPIs, lineage, figures, snapshot types) import no adapter, MLflow or Azure. The pages and
``streamlit_app.py`` are scripts, not a package, so an AST walk checks them: they import Streamlit,
pandas, the standard library, ``ui`` and the pure monitor modules only; everything that talks to a
backend is reached through ``ui.cache``.
"""

from __future__ import annotations

import ast
import configparser
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / ".importlinter"
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"

# monitor modules a page may import: types and pure computation (each a source of a .importlinter contract).
PAGE_MONITOR_MODULES = ("monitor.escape", "monitor.errors", "monitor.views", "monitor.kpis", "monitor.figures",
                        "monitor.lineage", "monitor.snapshots.types")
PAGE_PACKAGES = ("streamlit", "pandas", "ui")
# Named apart for a clearer message: these talk to backends (pages reach them through ui.cache).
BACKEND_MODULES = ("monitor.service", "monitor.collect", "monitor.sources", "monitor.store", "monitor.bootstrap",
                   "monitor.validate", "monitor.job", "mlflow", "azure")


def lint_imports(*args: str, cwd: Path = ROOT, env: dict | None = None) -> subprocess.CompletedProcess:
    if not LINT_IMPORTS.exists():
        pytest.fail(f"{LINT_IMPORTS} is missing: install the dev requirements (pip install -r requirements-dev.txt "
                    "-c constraints.txt)")
    return subprocess.run([str(LINT_IMPORTS), "--no-cache", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300, env=env)


def _contract_sources() -> set[str]:
    parser = configparser.ConfigParser()
    parser.read(CONFIG)
    return {m.strip() for section in parser.sections() if section.startswith("importlinter:contract:")
            for m in parser[section].get("source_modules", "").split() if m.strip()}


# ----------------------------------------------------------------------------------------------
# the monitor package: import-linter


def test_the_monitor_package_keeps_its_import_contracts():
    result = lint_imports("--config", str(CONFIG))
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert "BROKEN" not in result.stdout and " KEPT" in result.stdout


def test_lint_imports_fails_on_a_broken_contract_of_a_fixture_package(tmp_path):
    package = tmp_path / "fixturepkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "adapter.py").write_text("import json\n")
    (package / "middle.py").write_text("from fixturepkg import adapter\n")
    (package / "core.py").write_text("def f():\n    from fixturepkg import middle\n    return middle\n")
    config = tmp_path / ".importlinter"
    config.write_text(textwrap.dedent("""\
        [importlinter]
        root_packages =
            fixturepkg
        include_external_packages = True

        [importlinter:contract:core]
        name = core imports no adapter
        type = forbidden
        source_modules =
            fixturepkg.core
        forbidden_modules =
            fixturepkg.adapter
            json
        """))
    broken = lint_imports("--config", str(config), cwd=tmp_path)
    assert broken.returncode != 0 and "BROKEN" in broken.stdout, broken.stdout + broken.stderr
    assert "fixturepkg.core -> fixturepkg.middle" in broken.stdout  # an indirect import, inside a function
    (package / "core.py").write_text("def f():\n    return 1\n")
    kept = lint_imports("--config", str(config), cwd=tmp_path)
    assert kept.returncode == 0 and "KEPT" in kept.stdout, kept.stdout + kept.stderr


def test_lint_imports_reads_the_real_package(tmp_path):
    # The service talks to the store: a contract forbidding it must be reported broken.
    config = tmp_path / "broken.ini"
    config.write_text(textwrap.dedent("""\
        [importlinter]
        root_packages =
            monitor

        [importlinter:contract:known-broken]
        name = the service without a store (known to be broken)
        type = forbidden
        source_modules =
            monitor.service
        forbidden_modules =
            monitor.store
        """))
    result = lint_imports("--config", str(config))
    assert result.returncode != 0 and "monitor.service is not allowed to import monitor.store" in result.stdout, \
        result.stdout + result.stderr


def test_the_modules_pages_may_import_are_under_contract():
    sources = _contract_sources()
    assert {"monitor.drift", "monitor.explain", "monitor.kpis", "monitor.lineage", "monitor.figures",
            "monitor.snapshots.types"} <= sources
    assert set(PAGE_MONITOR_MODULES) <= sources


# ----------------------------------------------------------------------------------------------
# the pages: an AST walk


def _imported(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, module) of every import, at any depth; ``from a import b`` yields ``a.b`` (b may be a submodule)."""
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                out.append((node.lineno, "." * node.level + (node.module or "")))
            else:
                out += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
    return out


def _within(module: str, prefixes) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def page_violations(source: str, filename: str) -> list[str]:
    """Imports of one page (or streamlit_app.py) that break the pages' rule, each with its line and why."""
    problems = []
    for line, module in _imported(ast.parse(source, filename)):
        top = module.split(".")[0]
        where = f"{filename}:{line}: {module}"
        if module.startswith("."):
            problems.append(f"{where}: relative import (pages are scripts)")
        elif _within(module, BACKEND_MODULES):
            problems.append(f"{where}: talks to a backend; go through ui.cache")
        elif top == "monitor":
            if not _within(module, PAGE_MONITOR_MODULES):
                problems.append(f"{where}: not a pure monitor module (PAGE_MONITOR_MODULES); go through ui.cache")
        elif top not in PAGE_PACKAGES and top not in sys.stdlib_module_names:
            problems.append(f"{where}: pages import only streamlit, pandas, the standard library, ui and pure monitor modules")
    return problems


def _page_files() -> list[Path]:
    return sorted((ROOT / "pages").glob("*.py")) + [ROOT / "streamlit_app.py"]


def test_pages_import_only_the_site_and_pure_modules():
    problems = [p for path in _page_files() for p in page_violations(path.read_text(), str(path.relative_to(ROOT)))]
    assert not problems, "\n".join(problems)


def test_the_page_check_finds_every_kind_of_bad_import():
    source = textwrap.dedent("""\
        import datetime as dt
        import streamlit as st
        from ui import cache
        from monitor.views import overall_frame
        from monitor.snapshots.types import Snapshot
        from monitor import kpis
        import mlflow
        from monitor.service import MonitorService
        from monitor import log_batch
        from monitor.store.sqlite import SqliteStore
        import numpy as np

        def later():
            from azure.identity import DefaultAzureCredential
            from monitor.snapshots import compute
        """)
    problems = page_violations(source, "pages/fixture.py")
    assert [p.split(": ")[1] for p in problems] == [
        "mlflow", "monitor.service.MonitorService", "monitor.log_batch", "monitor.store.sqlite.SqliteStore", "numpy",
        "azure.identity.DefaultAzureCredential", "monitor.snapshots.compute"], problems
