"""`whsim perf --scaling`: how the whole stack's speed grows with the site — the real-time factor of a
`central` run (sensors, tracking, BEV map, scoring, files; no figures) against the number of actors
(9, 25, 50, 100), of cameras (1, 2, 4, 8) and the site's area (40 × 25 m to 120 × 80 m), each on the
default scenario with that one thing changed. Writes `scaling.json` and `scaling.png`; the slope of
log(cost per simulated second) against log(size) says how fast cost grows (1: linearly).
"""

from __future__ import annotations

import copy
import io
import json
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import yaml

from sim.library import shipped
from sim.loading import parse_scenario
from sim.output.atomic import atomic_write_bytes, atomic_write_text
from sim.runner import run_scenario

DURATION_S = 10.0
ACTORS = (9, 25, 50, 100)
CAMERAS = (1, 2, 4, 8)
AREAS = ((40, 25), (60, 40), (80, 50), (120, 80))
PATROL_KINDS = ("forklift", "agv", "worker", "worker")  # the default's mix, roughly
# Camera mounts 6 m up, corners first then mid-walls, all looking at the middle of the default hall.
CAMERA_MOUNTS = ((1, 1), (39, 24), (39, 1), (1, 24), (20, 0.5), (20, 24.5), (0.5, 12.5), (39.5, 12.5))


def _default() -> dict:
    doc = yaml.safe_load(shipped()["default"].read_text(encoding="utf-8"))
    doc |= {"duration_s": DURATION_S, "faults": []}
    doc["actors"] = [a for a in doc["actors"] if a.get("spawn_s", 0) < DURATION_S]
    return doc


def with_actors(n: int) -> dict:
    """The default scenario with patrolling actors added up to `n`."""
    doc = _default()
    k = len(doc["actors"])
    doc["actors"] += [
        {"id": f"extra{i}", "kind": PATROL_KINDS[i % len(PATROL_KINDS)], "motion": {"type": "patrol"}}
        for i in range(max(0, n - k))
    ]
    return doc


def with_cameras(n: int) -> dict:
    """The default scenario with its cameras replaced by `n` at the `CAMERA_MOUNTS`."""
    doc = _default()
    doc["sensors"] = [s for s in doc["sensors"] if s["type"] != "camera"] + [
        {"id": f"cam{i}", "type": "camera", "position": [x, y, 6.0], "look_at": [20, 12.5, 0]}
        for i, (x, y) in enumerate(CAMERA_MOUNTS[:n])
    ]
    return doc


def with_area(length: float, width: float) -> dict:
    """The default scenario in a bigger hall: its rack block repeated every 45 m × 25 m (clear of the
    default's staging area and aisles, where its actors drive), a dock door on the east wall beside each
    row of blocks; the same actors and sensors."""
    doc = _default()
    block = doc["layout"]["racks"][0]
    racks = []
    for x in np.arange(4.0, length - 25.0, 45.0):
        for y in np.arange(3.0, width - 21.0, 25.0):
            racks.append(copy.deepcopy(block) | {"origin": [float(x), float(y)]})
    docks = [{"position": [length, float(y) + 5.0], "width_m": 3} for y in np.arange(3.0, width - 21.0, 25.0)]
    doc["layout"] |= {"size_m": [length, width], "racks": racks, "docks": docks}
    return doc


def realtime_factor(doc: dict) -> float:
    """Simulated time over wall time of one `central` run of the scenario document (no figures)."""
    scenario = parse_scenario(yaml.safe_dump(doc))
    with tempfile.TemporaryDirectory() as tmp:
        result = run_scenario(scenario, Path(tmp) / "run", plots=False, log=io.StringIO())
    return float(result.metrics["realtime_factor"])


def slope(sizes, factors) -> float:
    """Exponent b of cost ∝ size^b, cost = 1 / real-time factor (least squares in log-log)."""
    return float(np.polyfit(np.log(sizes), -np.log(factors), 1)[0])


def measure(progress: Callable[[str], None] | None = None) -> dict:
    """Every sweep: {"actors": {n: factor}, "cameras": {…}, "area_m2": {…}, "slope": {…}}."""
    sweeps = {
        "actors": [(n, with_actors(n)) for n in ACTORS],
        "cameras": [(n, with_cameras(n)) for n in CAMERAS],
        "area_m2": [(L * W, with_area(L, W)) for L, W in AREAS],
    }
    out: dict = {"duration_s": DURATION_S}
    for name, points in sweeps.items():
        out[name] = {}
        for size, doc in points:
            if progress:
                progress(f"{name} {size}")
            out[name][size] = round(realtime_factor(doc), 3)
    out["slope"] = {k: round(slope(list(out[k]), list(out[k].values())), 2) for k in sweeps}
    # Fixed costs flatten the fit; the last doubling shows how the cost grows where the size dominates.
    out["last_step_slope"] = {
        k: round(slope(list(out[k])[-2:], list(out[k].values())[-2:]), 2) for k in sweeps
    }
    return out


def table(results: dict) -> list[str]:
    """The figures as markdown rows."""
    rows = [
        "| sweep | size → real-time factor | slope of cost (all points) | slope of the last step |",
        "| --- | --- | --- | --- |",
    ]
    for k in ("actors", "cameras", "area_m2"):
        pairs = ", ".join(f"{float(s):g}: {v:.2f}×" for s, v in results[k].items())
        rows.append(f"| {k} | {pairs} | {results['slope'][k]:.2f} | {results['last_step_slope'][k]:.2f} |")
    return rows


def plot(path: Path, results: dict) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = {"actors": "actors", "cameras": "cameras", "area_m2": "site area (m²)"}
    fig, axes = plt.subplots(1, 3, figsize=(11, 3.4), sharey=True)
    for ax, key in zip(axes, labels, strict=True):
        sizes = [float(s) for s in results[key]]
        ax.loglog(sizes, list(results[key].values()), "o-", color="tab:blue")
        ax.axhline(1.0, color="grey", lw=0.8, ls=":")
        ax.set_xlabel(labels[key])
        ax.set_title(
            f"cost ∝ size^{results['slope'][key]:.2f} (last step ^{results['last_step_slope'][key]:.2f})",
            fontsize=9,
        )
        ax.set_xticks(sizes, [f"{s:g}" for s in sizes])
        ticks = [0.25, 0.5, 1, 2, 4, 8]
        ax.set_yticks(ticks, [f"{t:g}×" for t in ticks])
        ax.minorticks_off()
    axes[0].set_ylabel(f"real-time factor ({results['duration_s']:g} s runs, central)")
    buf = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buf, format="png", dpi=120)
    plt.close(fig)
    atomic_write_bytes(path, buf.getvalue())


def run_scaling(out: Path, progress: Callable[[str], None] | None = None) -> dict:
    """Measure, then write `scaling.json` and `scaling.png` into `out`."""
    results = measure(progress)
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out / "scaling.json", json.dumps(results, indent=2) + "\n")
    plot(out / "scaling.png", results)
    return results
