"""Fuzzing the scenario loader: whatever the file holds, the answer is a scenario or one-line problems —
never another exception, never a hang. Mutations of a valid scenario (values of the wrong type, NaN and
±inf, huge and deep values, deleted and unknown keys) and raw text (garbage, YAML fragments, aliases)."""

from __future__ import annotations

import copy
import math

import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from sim.loading import parse_scenario
from sim.scenario.loader import ScenarioError
from tests.conftest import SMALL

# Cases per property: `make test` runs the quick budget, `make test-slow` (and CI) the soak budget.
QUICK, SOAK = (150, 3), (1000, 300)  # (loader cases, run cases: about a fifth are accepted and run)

hostile_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.sampled_from([math.nan, math.inf, -math.inf, 1e308, -1e-308, 0.0, -1.0, 2**63, "3.5", "abc", "%d%%"]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.lists(st.integers(), max_size=5),
    st.recursive(st.integers(), lambda c: st.lists(c, max_size=3), max_leaves=40),
    st.dictionaries(st.text(max_size=8), st.integers(), max_size=3),
)


def _paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _paths(v, (*prefix, i))


PATHS = [p for p in _paths(SMALL) if p]


@st.composite
def mutated(draw):
    d = copy.deepcopy(SMALL)
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(PATHS))
        parent = d
        try:
            for part in path[:-1]:
                parent = parent[part]
            action = draw(st.sampled_from(["set", "delete", "unknown"]))
            if action == "delete" and isinstance(parent, dict):
                parent.pop(path[-1], None)
            elif action == "unknown" and isinstance(parent, dict):
                parent[draw(st.text(min_size=1, max_size=12))] = draw(hostile_values)
            else:
                parent[path[-1]] = draw(hostile_values)
        except (KeyError, IndexError, TypeError):
            continue  # an earlier mutation removed or replaced the way there
    return yaml.safe_dump(d, allow_unicode=True)


raw_text = st.one_of(
    st.text(max_size=300),
    st.binary(max_size=300).map(lambda b: b.decode("latin-1")),
    st.sampled_from(
        [
            "a: &a [1, 2]\nb: [*a, *a]\n",
            "&x [*x]",
            "name: [" * 40 + "]" * 40,
            "- - - - -",
            "name: !!python/object:os.system 'echo'",
            "? [a, b]\n: c\n",
            "name: x\nname: y\nduration_s: 1\nlayout: {size_m: [5, 5]}\n",
        ]
    ),
)


def _check(text: str) -> None:
    try:
        parse_scenario(text, "fuzz.yaml")
    except ScenarioError as e:
        assert e.problems
        for p in e.problems:
            line = str(p)
            assert line.startswith("fuzz.yaml") and "\n" not in line and "Traceback" not in line, line


def _budget(n: int):
    return settings(max_examples=n, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_budget(QUICK[0])
@given(mutated())
def test_mutated_scenarios_load_or_give_one_line_problems(text):
    _check(text)


@_budget(QUICK[0])
@given(raw_text)
def test_any_text_loads_or_gives_one_line_problems(text):
    _check(text)


@pytest.mark.slow
@_budget(SOAK[0])
@given(mutated())
def test_mutated_scenarios_soak(text):
    _check(text)


@pytest.mark.slow
@_budget(SOAK[0])
@given(raw_text)
def test_any_text_soak(text):
    _check(text)


NUMERIC = (
    [p for p in PATHS if isinstance(_at(SMALL, p), (int, float)) and not isinstance(_at(SMALL, p), bool)]
    if (_at := lambda d, p: d if not p else _at(d[p[0]], p[1:]))
    else []
)
edge_numbers = st.one_of(
    st.sampled_from([0, 1e-308, 1e-9, 0.001, 0.5, 1, 7, 99.9, 179.9, 499.99, 1e6]),
    st.floats(min_value=-10, max_value=600, allow_nan=False),
)


@st.composite
def numeric_mutation(draw):
    d = copy.deepcopy(SMALL)
    d["duration_s"] = 1
    d["pipeline"] = {"strategy": "central"}
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(NUMERIC))
        parent = d
        for part in path[:-1]:
            parent = parent[part]
        parent[path[-1]] = draw(edge_numbers)
    return d


def _run_if_accepted(d: dict, out) -> None:
    from sim.runner import run_scenario

    try:
        sc = parse_scenario(yaml.safe_dump(d), "fuzz.yaml")
    except ScenarioError:
        event("refused by the loader")
        return
    event("accepted and run")
    run_scenario(sc, out, plots=False)


@_budget(QUICK[1])
@given(numeric_mutation())
def test_accepted_files_run_without_an_internal_error(tmp_path_factory, d):
    _run_if_accepted(d, tmp_path_factory.mktemp("run"))


@pytest.mark.slow
@_budget(SOAK[1])
@given(numeric_mutation())
def test_accepted_files_run_soak(tmp_path_factory, d):
    _run_if_accepted(d, tmp_path_factory.mktemp("run"))
