"""How often a positioning sensor detects an actor standing on a cell its cover says it sees, per sensor
kind and tracked class, measured on simulated runs.

Covered does not mean detected: forklifts are placed by their near face, other actors stand in the way,
sensors drop out. The rates are measured by `python tools/detection_rates.py` on `central` runs of tuning
seeds and kept in `detection_rates.json`, which records the command; the placement objective and
`coverage.json`'s `expected_detected` read them. (The tool also breaks them down by reach; a table by
reach chose a worse layout on the tuning seeds, docs/coverage.md says how.)
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sim.coverage.crowding import SIGHTLINES, Crowd
from sim.coverage.visibility import TRACKED, Cover

RATES_FILE = Path(__file__).with_name("detection_rates.json")


@dataclass(frozen=True)
class DetectionRates:
    """`rates[kind][class]`: the chance that a sensor of that kind detects an actor of that class on a
    cell it covers."""

    rates: dict[str, dict[str, float]]

    @classmethod
    def load(cls, path: Path = RATES_FILE) -> DetectionRates:
        doc = json.loads(Path(path).read_text())
        return cls({k: {c: float(v) for c, v in by.items()} for k, by in doc["rates"].items()})

    def probability(self, cover: Cover, crowd: Crowd | None = None) -> np.ndarray:
        """(len(TRACKED), n_cells): the chance that `cover`'s sensor detects an actor of each class on each
        cell; 0 where it does not cover the cell, and for kinds that do not place actors (RFID, beams).
        The rates are for a view clear of other actors; with `crowd`, times the chance that it is."""
        table = self.rates.get(cover.kind, {})
        p = cover.seen * np.array([table.get(name, 0.0) for name in TRACKED])[:, None]
        sight = SIGHTLINES.get(cover.kind)  # a kind without one: no crowding model yet
        if crowd is None or cover.origin is None or sight is None or not p.any():
            return p
        return p * crowd.clear(cover.origin, cover.seen, sight)


DEFAULT_RATES = DetectionRates.load()
