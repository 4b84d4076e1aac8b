"""whsim application: world, sensors, stepped loop, scoring, outputs, plots, CLI.

The public Python API:

- `load_scenario(path, sets=())` — a checked `Scenario` from a YAML file (`--set` overrides applied first);
- `Simulation(scenario)` — the stepped loop: `reset(seed)` → (step, info), `step()` → (step, done, info);
  a step holds the sensor readings delivered at that tick and the truth (for scoring only);
- `run_scenario(scenario, out_dir)` — a whole run: tracking strategy, scoring, run directory, plots.

They are imported on first use, so `whsim --help` stays fast.
"""

from __future__ import annotations

__all__ = ["Simulation", "load_scenario", "run_scenario"]


def __getattr__(name: str):
    if name == "load_scenario":
        from sim.loading import load_scenario

        return load_scenario
    if name == "Simulation":
        from sim.simulation import Simulation

        return Simulation
    if name == "run_scenario":
        from sim.runner import run_scenario

        return run_scenario
    raise AttributeError(f"module 'sim' has no attribute {name!r}")
