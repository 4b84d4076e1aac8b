"""Sensor test scenes: small buildings where the answer can be worked out by hand."""

from __future__ import annotations

import yaml

from sim.loading import parse_scenario
from sim.simulation import Simulation


def sim_of(
    layout: dict,
    actors: list,
    sensors: list,
    faults: list | None = None,
    duration: float = 2.0,
    seed: int = 1,
) -> Simulation:
    d = {
        "name": "t",
        "seed": seed,
        "duration_s": duration,
        "dt_s": 0.05,
        "layout": layout,
        "actors": actors,
        "sensors": sensors,
        "faults": faults or [],
        "pipeline": {"strategy": "none"},
    }
    return Simulation(parse_scenario(yaml.safe_dump(d), "test.yaml"))


def run_readings(sim: Simulation) -> list:
    step, _ = sim.reset()
    out = list(step.readings)
    done = False
    while not done:
        step, done, _ = sim.step()
        out += step.readings
    return out
