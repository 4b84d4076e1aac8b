"""The structure the code promises: libraries never import the application or each other, sim.scenario
and sim.world import each other in one direction only, and no function or module grows past the limits."""

from __future__ import annotations

import ast

import pytest

from tests.conftest import ROOT

FORBIDDEN = {"perception": {"sim", "fusion"}, "fusion": {"sim", "perception"}}
MAX_FUNCTION_LINES = 80
MAX_MODULE_LINES = 400


def _imports(path) -> list[str]:
    names = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module)
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_library_packages_do_not_import_the_application(package):
    files = sorted((ROOT / package).rglob("*.py"))
    assert files, f"{package}/ has no modules"
    for path in files:
        for name in _imports(path):
            assert name.split(".")[0] not in FORBIDDEN[package], f"{path}: imports {name}"


def test_the_scenario_schema_does_not_import_the_world():
    """sim.world builds from scenario models; the physics checks that need the world live in sim.world."""
    for path in sorted((ROOT / "sim" / "scenario").rglob("*.py")):
        for name in _imports(path):
            assert not name.startswith("sim.world"), f"{path}: imports {name}"


def test_no_function_or_module_is_too_long():
    long = []
    for package in ("sim", "perception", "fusion"):
        for path in sorted((ROOT / package).rglob("*.py")):
            text = path.read_text()
            rel = path.relative_to(ROOT)
            if len(text.splitlines()) > MAX_MODULE_LINES:
                long.append(f"{rel}: {len(text.splitlines())} lines")
            for node in ast.walk(ast.parse(text)):
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    n = node.end_lineno - node.lineno + 1
                    if n > MAX_FUNCTION_LINES:
                        long.append(f"{rel}:{node.lineno} {node.name}: {n} lines")
    assert not long, "\n".join(long)


def test_a_new_strategy_needs_no_code_outside_the_registry():
    """Every registered strategy is built from registered front-ends and a known fuser."""
    from sim.pipeline.frontends import FRONTENDS
    from sim.pipeline.fusers import FUSERS
    from sim.strategies import STRATEGIES

    for s in STRATEGIES.values():
        assert s.fuser in {*FUSERS, "none"}, s.name
        assert set(s.frontends) <= set(FRONTENDS), s.name
        for _, feeders in s.groups:
            assert set(feeders) <= set(s.frontends), s.name


def test_the_configuration_reference_is_current():
    """docs/configuration.md is generated from the models; regenerate it when a field changes."""
    import sys

    sys.path.insert(0, str(ROOT / "tools"))
    from config_reference import reference

    assert (ROOT / "docs" / "configuration.md").read_text() == reference(), (
        "run: python tools/config_reference.py > docs/configuration.md"
    )
