"""Compare the 3D-CNN front-end's detection threshold and birth score (`pipeline.cnn3d.threshold`,
`.birth_score`) on tuning seeds, each run recorded once: the front-ends' outputs are recorded at
threshold 0.3 (`tools/tune_tracker.py`'s cache), and every pair is replayed with the weaker boxes dropped
and births only from boxes scoring at least the birth score — exactly what the front-end gives at that
threshold, since the threshold only filters the peaks left by the max-pool NMS.

    python tools/cnn3d_thresholds.py scenarios/default.yaml scenarios/busy.yaml \\
        scenarios/sensor_failure.yaml --seeds 11-15 --pair 0.45,0.45 --pair 0.4,0.5 [--strategy cnn3d]

Prints, per scenario and pair, the means over the seeds of MOTA, IDF1, HOTA, NEES inside its band and
identity switches. Tune on seeds ≥ 11, never on 1–10. The defaults of 2026-12-04 (0.4 / 0.5) were chosen
this way (docs/perception.md).
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import tempfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import tune_tracker

FLOOR = 0.3  # the threshold the runs are recorded at: pairs below it cannot be replayed
RECORDED = (f"pipeline.cnn3d.threshold={FLOOR}", f"pipeline.cnn3d.birth_score={FLOOR}")
COLUMNS = ("mota", "idf1", "hota", "nees_in_bounds", "id_switches")


def filtered(pm, threshold: float, birth: float):
    """A scan of 3D-CNN boxes as the front-end gives it at `threshold`, births from `birth`."""
    keep = pm.score >= threshold
    return dataclasses.replace(
        pm,
        z=pm.z[keep],
        R=pm.R[keep],
        cls=tuple(c for c, k in zip(pm.cls, keep, strict=True) if k),
        score=pm.score[keep],
        v=None if pm.v is None else pm.v[keep],
        Rv=None if pm.Rv is None else pm.Rv[keep],
        may_start=pm.score[keep] >= birth,
    )


def _replay(args) -> dict:
    path, seed, strategy, duration, cache, threshold, birth = args
    import cloudpickle

    pkl = tune_tracker.record(path, seed, strategy, duration, Path(cache), RECORDED)
    data = cloudpickle.loads(pkl.read_bytes())
    steps = [
        (
            step,
            [
                (n, s, t, o)
                if o.positions is None or o.positions.source != "cnn3d"
                else (n, s, t, dataclasses.replace(o, positions=filtered(o.positions, threshold, birth)))
                for n, s, t, o in outs
            ],
        )
        for step, outs in data["steps"]
    ]
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d) / "filtered.pkl"
        tmp.write_bytes(cloudpickle.dumps({"steps": steps, "n_ticks": data["n_ticks"]}))
        row = tune_tracker.replay(path, seed, strategy, duration, [], tmp)
    return {
        "scenario": row["scenario"],
        "seed": seed,
        "pair": (threshold, birth),
        **{k: row[k] for k in COLUMNS},
    }


def _pair(text: str) -> tuple[float, float]:
    try:
        t, b = (float(x) for x in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: give THRESHOLD,BIRTH_SCORE, e.g. 0.4,0.5") from None
    if not (FLOOR <= t < 1 and 0 < b <= 1):
        raise argparse.ArgumentTypeError(f"{text!r}: threshold in [{FLOOR}, 1), birth score in (0, 1]")
    return t, b


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("scenarios", nargs="+")
    p.add_argument("--seeds", default="11-15", help="e.g. 11-15 (tuning seeds are ≥ 11)")
    p.add_argument("--pair", dest="pairs", action="append", type=_pair, metavar="THRESHOLD,BIRTH")
    p.add_argument("--strategy", default="cnn3d-kf", choices=("cnn3d-kf", "cnn3d"))
    p.add_argument("--duration", type=float, default=None)
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--cache", default=str(tune_tracker.ROOT / ".cache" / "tune"))
    a = p.parse_args(argv)
    seeds = tune_tracker._seeds(a.seeds)
    if min(seeds) < 11:
        p.error(f"--seeds {a.seeds}: tune on seeds 11 and above (1-10 are for reporting)")
    for path in a.scenarios:
        if not Path(path).is_file():
            p.error(f"{path}: no such scenario file")
    pairs = a.pairs or [(0.4, 0.5)]
    runs = [(path, seed) for path in a.scenarios for seed in seeds]
    jobs = [(path, seed, a.strategy, a.duration, a.cache, t, b) for path, seed in runs for t, b in pairs]
    with ProcessPoolExecutor(a.jobs) as ex:  # record every run once (in parallel), then replay
        list(ex.map(tune_tracker.record, *zip(*[(pa, s, a.strategy, a.duration, Path(a.cache), RECORDED)
                                                for pa, s in runs], strict=True)))  # fmt: skip
        rows = list(ex.map(_replay, jobs))
    print(f"{'scenario':16s} {'threshold':>9s} {'birth':>6s} " + " ".join(f"{c[:10]:>10s}" for c in COLUMNS))
    for path in a.scenarios:
        for t, b in pairs:
            sel = [r for r in rows if r["scenario"] == Path(path).stem and r["pair"] == (t, b)]
            means = " ".join(f"{np.mean([r[c] for r in sel]):10.3f}" for c in COLUMNS)
            print(f"{Path(path).stem:16s} {t:9.2f} {b:6.2f} {means}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
