"""Traffic rules: the shortcuts that make them cheap (the pair prefilter, the give-way bound) never
change a cap — checked against the same rules over every pair with no shortcut."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from sim.loading import parse_scenario
from sim.world import traffic
from sim.world.world import World
from tests.conftest import DEFAULT_SCENARIO


@pytest.fixture(scope="module")
def specs():
    return World(parse_scenario(DEFAULT_SCENARIO.read_text())).specs


def _scene(rng, specs, n: int, box: float):
    return [
        SimpleNamespace(
            spec=specs[rng.integers(len(specs))],
            x=float(rng.uniform(0, box)),
            y=float(rng.uniform(0, box)),
            yaw=float(rng.uniform(-np.pi, np.pi)),
            v=float(rng.choice([0.0, rng.uniform(-0.5, 2.5)])),
            reversing=bool(rng.random() < 0.1),
        )
        for _ in range(n)
    ]


def _no_shortcuts(monkeypatch):
    """Every pair examined, and the give-way test run whatever the distance."""
    full = traffic._give_way
    monkeypatch.setattr(traffic, "INTERACTION_M", 1e9)
    monkeypatch.setattr(traffic, "_give_way", lambda sc, lo, hi, lane, apart: full(sc, lo, hi, lane, 0.0))


@pytest.mark.parametrize("n,box", [(9, 12.0), (30, 25.0), (60, 30.0)])  # 60: the numpy prefilter
def test_caps_equal_those_of_every_pair_without_shortcuts(monkeypatch, specs, n, box):
    rng = np.random.default_rng(n)
    fired = 0
    for _ in range(40):
        actors = _scene(rng, specs, n, box)
        live = list(range(n))
        ignore = {(0, 1)} if rng.random() < 0.3 else set()
        caps, who = traffic.speed_caps(actors, live, ignore)
        with monkeypatch.context() as m:
            _no_shortcuts(m)
            ref_caps, ref_who = traffic.speed_caps(actors, live, ignore)
        assert caps == ref_caps and who == ref_who
        fired += sum(c < np.inf for c in caps)
    assert fired > 40  # the scenes do constrain actors: the comparison is not vacuous
