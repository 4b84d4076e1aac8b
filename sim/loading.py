"""Scenario files in, checked scenarios out: the schema (`sim.scenario`) and the physics
(`sim.world.feasibility`) together, so neither package needs the other."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from sim.scenario.loader import parse_scenario as _parse
from sim.scenario.loader import read_scenario_text
from sim.scenario.models import Scenario
from sim.world.feasibility import check_physics as _physics


def load_scenario(path: str | Path, *, check_physics: bool = True, sets: Sequence[str] = ()) -> Scenario:
    """Read, validate and physics-check a scenario file, with `--set PATH=VALUE` overrides applied first;
    raises `ScenarioError` listing every problem, one line each (file, line, field path, what is allowed)."""
    return parse_scenario(read_scenario_text(path), str(path), check_physics=check_physics, sets=sets)


def parse_scenario(
    text: str, name: str = "<scenario>", *, check_physics: bool = True, sets: Sequence[str] = ()
) -> Scenario:
    """The same from a YAML document in memory."""
    shortened = any(s.split("=", 1)[0].strip() == "duration_s" for s in sets)
    check = (lambda sc: _physics(sc, shortened=shortened)) if check_physics else None
    return _parse(text, name, check=check, sets=sets)
