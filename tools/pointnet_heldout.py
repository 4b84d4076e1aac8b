"""Held-out figures of PointNet weights on a dataset's held-out split: per-class IoU and mIoU with each
scan's site map applied (no moving body on racks and walls, as the `pointnet` front-end segments) and of
the network alone, over all scans and by sensor kind.

    python tools/pointnet_heldout.py --data DIR [--weights perception/weights/pointnet.pt] [--write]

`--write` states these figures in the weights file and its .json (the training's own figures give way),
with this command recorded beside the training's: for weights trained before the held-out scores applied
the site map, or after the simulator changed what a held-out scene looks like. Render the held-out split
with `whsim dataset pointnet --scenes 1 --heldout 12 --out DIR --seed 0` (the shipped weights' scenes).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from perception.classes import CLASS_NAMES
from perception.point_segmenter import PointSegmenter
from perception.pointnet import load_weights
from perception.pointnet_training import confusion_scores, evaluate
from perception.weights import POINTNET
from sim.learning.commands import heldout_figures, store_weights
from sim.learning.pointnet_dataset import load_scans, split_files


def _row(name: str, scores: dict) -> str:
    ious = " ".join(f"{CLASS_NAMES[c]} {v:.3f}" for c, v in scores["per_class_iou"].items())
    return f"{name:<28} mIoU {scores['miou']:.3f}  ({ious})"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", type=Path, required=True, help="a `whsim dataset pointnet` folder")
    p.add_argument("--weights", type=Path, default=POINTNET)
    p.add_argument("--write", action="store_true", help="state the figures in the weights file")
    args = p.parse_args()
    files = split_files(args.data, "heldout")
    if not files:
        print(
            f"--data: {args.data}/heldout/ holds no scene-*.npz (make it with `whsim dataset`)",
            file=sys.stderr,
        )
        sys.exit(2)
    model, meta = load_weights(args.weights)
    seg = PointSegmenter(model, meta.get("tile_m", 4.0))
    scans = [s for f in files for s in load_scans(f)]
    parts = {kind: evaluate(seg, [s for s in scans if s.depth_camera == depth]) for kind, depth in
             (("VLP-16", False), ("depth camera", True))}  # fmt: skip
    total = {
        "": confusion_scores(sum(ev["confusion"] for ev in parts.values())),
        "network": confusion_scores(sum(ev["network"]["confusion"] for ev in parts.values())),
    }
    print(f"{args.weights} on {len(scans)} held-out scans of {args.data}:")
    for name, scores in (("all, with the site map", total[""]), ("all, network alone", total["network"])):
        print(_row(name, scores))
    for kind, ev in parts.items():
        print(_row(f"{kind}, with the site map", ev))
        print(_row(f"{kind}, network alone", ev["network"]))
    if args.write:
        figures = heldout_figures(total[""]["miou"], total[""]["per_class_iou"], len(scans))
        figures["network"] = heldout_figures(total["network"]["miou"], total["network"]["per_class_iou"])
        manifest = args.data / "dataset.json"
        meta["heldout"] = figures
        meta["heldout_command"] = " ".join(["python tools/pointnet_heldout.py", *sys.argv[1:]])
        meta["heldout_data"] = json.loads(manifest.read_text()) if manifest.is_file() else None
        store_weights(model, args.weights, meta)
        print(f"stated in {args.weights} and {args.weights.with_suffix('.json')}")


if __name__ == "__main__":
    main()
