"""Tune the tracker quickly: front-end outputs cached once per (scenario, seed, strategy), then replayed
through the fuser and scored exactly as `whsim run` scores (same sinks, same metrics).

    python tools/tune_tracker.py scenarios/default.yaml scenarios/busy.yaml --seeds 11-15 \
        [--strategy central] [--set pipeline.tracker.confirm_hits=4 ...] [--jobs 2] [--csv FILE]

Tuning seeds are 11 and above; the figures we report come from `whsim bench … --seeds 5` (seeds 1–5),
which this tool refuses unless `--allow-reporting-seeds` is given. The cache (default `.cache/tune/`)
is keyed by the sources of everything upstream of the fuser (world, sensors, perception, front-ends) and
the scenario file, so a change to the tracker replays in seconds and a change upstream re-records.
The `--set` overrides apply to the replay only, so only the fuser's settings are accepted (`REPLAYED`);
a front-end setting is refused — put it in a scenario file, which re-records.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
# This tree's packages before an installed copy's: the cache is keyed by this tree's files, so the code
# that records must be this tree's too (a git worktree sharing another checkout's editable install would
# otherwise run that checkout's code under this tree's keys).
sys.path.insert(0, str(ROOT))
UPSTREAM = (
    "perception",
    "sim/world",
    "sim/sensors",
    "sim/scenario",
    "sim/pipeline/frontends",
    "sim/pipeline/site_map.py",
    "sim/pipeline/pipeline.py",
    "fusion/rfid_link.py",  # the RFID front-end's own estimators run while recording
    "fusion/rfid_ranging.py",
    "fusion/rfid_reads.py",
    "fusion/rfid_phase.py",
)
# Settings a replay can change: the fuser's (everything else shapes what the front-ends saw).
REPLAYED = (
    "pipeline.tracker.",
    "pipeline.greedy_tracker.",
    "pipeline.filter=",
    "pipeline.measurement_model=",
    "pipeline.rfid.multilateration_window_s=",
)
COLUMNS = ("mota", "idf1", "hota", "nees_in_bounds", "identity_accuracy", "gospa", "id_switches")


def _seeds(text: str) -> list[int]:
    out: list[int] = []
    for part in text.split(","):
        a, _, b = part.partition("-")
        out += list(range(int(a), int(b or a) + 1))
    return out


def _upstream_hash(scenario_path: str, seed: int, strategy: str, duration, sets=()) -> str:
    h = hashlib.sha256(f"{scenario_path}|{seed}|{strategy}|{duration}".encode())
    if sets:  # recorded with settings of its own (tools/cnn3d_thresholds.py): another recording
        h.update("|".join(sets).encode())
    h.update(Path(scenario_path).read_bytes())
    for name in UPSTREAM:
        p = ROOT / name
        # code and the network weights it loads: new weights must record again
        for f in sorted(f for f in p.rglob("*") if f.suffix in (".py", ".pt")) if p.is_dir() else [p]:
            h.update(f.read_bytes())
    return h.hexdigest()[:16]


def _scenario(path: str, seed: int, strategy: str, duration, sets=()):
    from sim.loading import load_scenario
    from sim.runner import apply_overrides

    sc = load_scenario(path, sets=tuple(sets))
    return apply_overrides(sc, path, seed=seed, strategy=strategy, duration=duration)


def record(path: str, seed: int, strategy: str, duration, cache: Path, sets=()) -> Path:
    """Simulate once and keep, per step, the truth and the front-ends' outputs (BEV layers dropped);
    `sets`: settings the recording is made with (front-end ones too)."""
    import cloudpickle

    from sim.pipeline.pipeline import make_pipeline
    from sim.recording import Recording

    target = (
        cache
        / f"{Path(path).stem}_s{seed}_{strategy}_{_upstream_hash(path, seed, strategy, duration, sets)}.pkl"
    )
    if target.exists():
        return target
    sc = _scenario(path, seed, strategy, duration, sets)
    rec = Recording.record(sc)
    sim = rec.replay()
    step, _ = sim.reset()
    pipe = make_pipeline(strategy, sc, np.random.default_rng(sim.pipeline_seed), sim.world.static)
    steps, done = [], False
    while True:
        lean = [
            (n, s, t, dataclasses.replace(o, image_layer=None, evidence_layer=None))
            for n, s, t, o in pipe.perceive(step)
        ]
        steps.append((dataclasses.replace(step, readings=()), lean))
        if done or sim.tick >= sim.n_ticks:
            break
        step, done, _ = sim.step()
    cache.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".tmp")
    tmp.write_bytes(cloudpickle.dumps({"steps": steps, "n_ticks": sim.n_ticks}))
    tmp.replace(target)
    return target


class _Cached:
    """The `Pipeline` interface over cached front-end outputs: a fresh fuser, the same detection rows."""

    def __init__(self, scenario, strategy: str, steps):
        from sim.pipeline.pipeline import Pipeline

        self.inner = Pipeline.fusion_only(strategy, scenario)
        self.bev, self.reads_identities = None, self.inner.reads_identities
        self.outputs = {step.tick: outs for step, outs in steps}
        self.segmented: list = []  # clouds are not re-segmented in a replay: no segmentation score
        self.looked: list = []  # nor readings kept: no AP over the actors each reading saw

    def process(self, step):
        return self.inner.fuse(self.outputs[step.tick])

    def tracks(self, t):
        return self.inner.tracks(t)

    def stats(self):
        return self.inner.stats()


def replay(path: str, seed: int, strategy: str, duration, sets, pkl: Path) -> dict:
    import cloudpickle

    from sim.sinks import TrackingSink, TruthSink
    from sim.timing import StageTimer

    sc = _scenario(path, seed, strategy, duration, sets)
    data = cloudpickle.loads(pkl.read_bytes())
    steps = data["steps"]
    pipe = _Cached(sc, strategy, steps)
    timer = StageTimer()
    with tempfile.TemporaryDirectory() as d:
        out = Path(d)
        (out / "plots").mkdir()
        truth, tracking = TruthSink(out, sc.dt_s), TrackingSink(out, pipe, sc.dt_s, data["n_ticks"])
        t0 = time.perf_counter()
        for step, _ in steps:
            truth.emit(step, timer)
            tracking.emit(step, timer)
        wall = time.perf_counter() - t0
        truth.commit()
        tracking.commit()
        scores = tracking.scores()
    m = scores["tracking"]
    row = {k: m.get(k) for k in COLUMNS}
    row.update(scenario=Path(path).stem, seed=seed, replay_s=round(wall, 2))
    row["stats"] = pipe.stats()
    row["metrics"] = scores
    return row


def _job(args) -> dict:
    path, seed, strategy, duration, sets, cache = args
    pkl = record(path, seed, strategy, duration, Path(cache))
    return replay(path, seed, strategy, duration, sets, pkl)


def table(rows: list[dict]) -> str:
    """Each run's and each scenario's mean figures; the tracks started and out-of-sequence readings dropped
    where the fuser counts them (the greedy tracker counts neither: `-`)."""

    def mean(values: list) -> str:
        v = [x for x in values if x is not None]
        return f"{np.mean(v):10.3f}" if v else f"{'-':>10s}"

    def count(vals: list[dict], key: str, width: int) -> str:
        v = [x["stats"][key] for x in vals if key in x["stats"]]
        return f"{np.mean(v):{width}.0f}" if v else f"{'-':>{width}s}"

    by: dict[str, list[dict]] = {}
    for r in rows:
        by.setdefault(r["scenario"], []).append(r)
    lines = [f"{'scenario':16s} " + " ".join(f"{c[:10]:>10s}" for c in COLUMNS) + "  started  ooseq"]
    for name, rs in by.items():
        for r in [*rs, None]:
            vals = rs if r is None else [r]
            label = f"{name} mean" if r is None else f"{name} s{r['seed']}"
            cells = " ".join(mean([x[c] for x in vals]) for c in COLUMNS)
            started = count(vals, "tracks_started", 7)
            lines.append(f"{label:16s} {cells}  {started}  {count(vals, 'out_of_sequence_dropped', 5)}")
    return "\n".join(lines)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("scenarios", nargs="+")
    p.add_argument("--seeds", default="11-15", help="e.g. 11-15 or 11,13 (tuning seeds are ≥ 11)")
    p.add_argument("--strategy", default="central")
    p.add_argument("--duration", type=float, default=None)
    p.add_argument("--set", dest="sets", action="append", default=[], metavar="PATH=VALUE")
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--cache", default=str(ROOT / ".cache" / "tune"))
    p.add_argument("--json", help="write every row (with full metrics) to this file")
    p.add_argument("--allow-reporting-seeds", action="store_true")
    a = p.parse_args(argv)
    seeds = _seeds(a.seeds)
    upstream = [x for x in a.sets if not x.startswith(REPLAYED)]
    if upstream:
        p.error(
            f"--set {upstream[0]}: the front-ends read that setting, and a replay only re-runs the fuser on "
            "their cached outputs; put it in a scenario file instead (which re-records)"
        )
    if min(seeds) < 11 and not a.allow_reporting_seeds:
        p.error("tune on seeds ≥ 11; seeds 1–10 are for reporting (--allow-reporting-seeds to override)")
    from sim.errors import UsageError
    from sim.scenario.loader import ScenarioError

    for path in a.scenarios:  # bad files and values are one-line errors here, not a worker's traceback
        try:
            _scenario(path, seeds[0], a.strategy, a.duration, a.sets)
        except ScenarioError as e:
            print("\n".join(str(x) for x in e.problems), file=sys.stderr)
            return 2
        except UsageError as e:
            print(f"tune_tracker.py: {e}", file=sys.stderr)
            return 2
    jobs = [(s, k, a.strategy, a.duration, a.sets, a.cache) for s in a.scenarios for k in seeds]
    with ProcessPoolExecutor(a.jobs) as ex:
        rows = list(ex.map(_job, jobs))
    if a.json:  # first: a table that fails to print must not lose the rows
        Path(a.json).write_text(json.dumps(rows, indent=1, default=str))
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
