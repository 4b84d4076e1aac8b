"""Detection AP per source at each distance threshold, and segmentation mIoU, over a `whsim bench` sweep.

    python tools/detection_ap.py SWEEP_DIR [--threshold 1]
    python tools/detection_ap.py SWEEP_DIR --pair lidar,pointnet     # pointnet's AP − lidar's, per seed

Reads every run's metrics.json under SWEEP_DIR/runs/ and prints, per (scenario, strategy, detection source),
the mean AP at the threshold over the seeds with its 95 % t-interval (as `whsim bench` reports its
metrics) — over every actor, and ("seen") over the actors the source's readings held — and the same for
the segmentation mIoU where the strategy segments clouds. `--pair A,B` compares two strategies' range
detections on the same scans instead: each strategy's detection source named like it (`STRATEGY:SOURCE`
names another, e.g. `central:lidar`), the difference B − A paired over the seeds both ran.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

from sim.bench.stats import mean_ci


def _runs(sweep: Path):
    for path in sorted(sweep.glob("runs/*/seed*/*/metrics.json")):
        yield path.parts[-3], json.loads(path.read_text())


def _table(sweep: Path, thr: str) -> None:
    values = defaultdict(list)
    for _, m in _runs(sweep):
        key = (m["scenario"], m["strategy"])
        for source, d in m.get("detection", {}).items():
            values[(*key, f"AP@{thr} m {source}")].append(d["ap_at_m"][thr])
            if "ap_seen_at_m" in d:  # runs since the figure existed
                values[(*key, f"AP@{thr} m {source} seen")].append(d["ap_seen_at_m"][thr])
        if "segmentation" in m:
            values[(*key, "segmentation mIoU")].append(m["segmentation"]["miou"])
            for c, v in m["segmentation"]["per_class_iou"].items():
                values[(*key, f"  IoU {c}")].append(v)
    for (scenario, strategy, what), v in sorted(values.items()):
        mean, lo, hi = mean_ci(v)
        print(f"{scenario:<12} {strategy:<10} {what:<24} {mean:.3f} [{lo:.3f}, {hi:.3f}] (n={len(v)})")


def _pair(sweep: Path, pair: str) -> None:
    (a, sa), (b, sb) = ([*s.split(":"), s][:2] for s in pair.split(","))
    got: dict = defaultdict(dict)  # (scenario, seed) → strategy → detection figures of its source
    for seed, m in _runs(sweep):
        for strategy, source in ((a, sa), (b, sb)):
            if m["strategy"] == strategy and source in m.get("detection", {}):
                got[m["scenario"], seed][strategy] = m["detection"][source]
    scenarios = sorted({sc for sc, _ in got})
    if not any(a in v and b in v for v in got.values()):
        print(
            f"detection_ap.py: {sweep} holds no seed run by both {a} ({sa}) and {b} ({sb})", file=sys.stderr
        )
        sys.exit(2)
    for scenario in scenarios:
        both = [v for (sc, _), v in sorted(got.items()) if sc == scenario and a in v and b in v]
        for field, label in (("ap_at_m", "every actor"), ("ap_seen_at_m", "actors held")):
            for thr in ("0.5", "1", "2"):
                rows = [(v[a][field][thr], v[b][field][thr]) for v in both if field in v[a] and field in v[b]]
                if not rows:
                    continue
                mean, lo, hi = mean_ci([y - x for x, y in rows])
                ma, mb = (sum(r[i] for r in rows) / len(rows) for i in (0, 1))
                print(
                    f"{scenario:<14} AP@{thr:<3} m {label:<11} {a} {ma:.3f}  {b} {mb:.3f}  "
                    f"{b} − {a} {mean:+.3f} [{lo:+.3f}, {hi:+.3f}] (n={len(rows)})"
                )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("sweep", type=Path)
    p.add_argument("--threshold", default="1", help="centre-distance threshold in metres: 0.5, 1 or 2")
    p.add_argument("--pair", help="A,B: strategy B's detections against A's on the same scans, paired")
    args = p.parse_args()
    if args.threshold not in ("0.5", "1", "2"):
        p.error(f"--threshold: {args.threshold!r}; allowed: 0.5, 1, 2")
    if args.pair is not None and len(args.pair.split(",")) != 2:
        p.error(f"--pair: {args.pair!r}; give two strategies, A,B (each STRATEGY or STRATEGY:SOURCE)")
    _pair(args.sweep, args.pair) if args.pair else _table(args.sweep, args.threshold)


if __name__ == "__main__":
    main()
