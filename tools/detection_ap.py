"""Detection AP per source at each distance threshold, and segmentation mIoU, over a `whsim bench` sweep.

    python tools/detection_ap.py SWEEP_DIR [--threshold 1]

Reads every run's metrics.json under SWEEP_DIR/runs/ and prints, per (scenario, strategy, detection source),
the mean AP at the threshold over the seeds with its 95 % t-interval (as `whsim bench` reports its
metrics) — over every actor, and ("seen") over the actors the source's readings held — and the same for
the segmentation mIoU where the strategy segments clouds.
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path

from sim.bench.stats import mean_ci


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("sweep", type=Path)
    p.add_argument("--threshold", default="1", help="centre-distance threshold in metres: 0.5, 1 or 2")
    args = p.parse_args()
    values = defaultdict(list)
    for path in sorted(args.sweep.glob("runs/*/seed*/*/metrics.json")):
        m = json.loads(path.read_text())
        key = (m["scenario"], m["strategy"])
        for source, d in m.get("detection", {}).items():
            values[(*key, f"AP@{args.threshold} m {source}")].append(d["ap_at_m"][args.threshold])
            if "ap_seen_at_m" in d:  # runs since the figure existed
                seen = d["ap_seen_at_m"][args.threshold]
                values[(*key, f"AP@{args.threshold} m {source} seen")].append(seen)
        if "segmentation" in m:
            values[(*key, "segmentation mIoU")].append(m["segmentation"]["miou"])
            for c, v in m["segmentation"]["per_class_iou"].items():
                values[(*key, f"  IoU {c}")].append(v)
    for (scenario, strategy, what), v in sorted(values.items()):
        mean, lo, hi = mean_ci(v)
        print(f"{scenario:<12} {strategy:<10} {what:<24} {mean:.3f} [{lo:.3f}, {hi:.3f}] (n={len(v)})")


if __name__ == "__main__":
    main()
