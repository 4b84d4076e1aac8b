"""`whsim dataset` and `whsim train`: training data from the simulator and training runs (SPEC §5)."""

from __future__ import annotations

import json
import sys
import time
import zipfile
from pathlib import Path

from sim.progress import progress_bar

MODELS = ("pointnet", "cnn3d")


def add_parsers(sub, common, seed_type) -> None:
    d = sub.add_parser("dataset", parents=[common], help="render labelled training data from random scenes")
    d.add_argument("model", choices=MODELS)
    d.add_argument(
        "--scenes", type=int, required=True, help="training scenes or sequences (held-out: --heldout more)"
    )
    d.add_argument("--heldout", type=int, help="held-out scenes from seeds training never uses (default N/4)")
    d.add_argument(
        "--out", type=Path, required=True, help="dataset directory (a rerun keeps finished scenes)"
    )
    d.add_argument("--seed", type=seed_type, default=0, help="first training scene seed (default 0)")
    d.add_argument("--workers", type=int, help="cnn3d: processes recording sequences (default 1)")
    d.add_argument("--duration", type=float, help="cnn3d: seconds per sequence (default 30)")
    d.add_argument(
        "--dense-sites",
        type=int,
        default=0,
        help="cnn3d: this many more training sites after the --scenes ones, each watched by 2-3 cameras, "
        "1-2 thermal cameras and 1-2 LiDARs (default 0)",
    )
    d.add_argument("--quiet", action="store_true", help="no progress bar")
    _add_train_parser(sub, common, seed_type)


def _add_train_parser(sub, common, seed_type) -> None:
    t = sub.add_parser("train", parents=[common], help="train a model on a `whsim dataset` directory")
    t.add_argument("model", choices=MODELS)
    t.add_argument("--data", type=Path, required=True, help="directory written by `whsim dataset`")
    t.add_argument("--out", type=Path, required=True, help="weights file to write (.pt)")
    t.add_argument("--epochs", type=int, help="passes of --steps-per-epoch batches (default: the model's)")
    t.add_argument("--steps-per-epoch", type=int, help="batches per epoch (default: the model's)")
    t.add_argument(
        "--frame-step",
        type=int,
        help="cnn3d: BEV map steps (0.1 s) between its five stacked frames (default 1: 0.4 s in all)",
    )
    t.add_argument(
        "--past-velocities",
        action="store_true",
        help="cnn3d: the head also learns each body's mean velocity from every earlier stacked frame "
        "(an auxiliary task; the boxes' velocity is still the velocity head's)",
    )
    t.add_argument(
        "--foreground",
        action="store_true",
        help="cnn3d: also read the cameras' and thermal cameras' raw foreground on the floor (two more "
        "frame channels; needs a dataset recorded since they exist)",
    )
    t.add_argument(
        "--late-groups",
        type=float,
        default=0.0,
        metavar="P",
        help="cnn3d: with probability P per sensor group, zero its channels in the newest 1-3 stacked "
        "frames only, as a sensor whose readings arrive late reaches the older frames only (default 0)",
    )
    t.add_argument(
        "--stem-widths",
        default=None,
        metavar="A,B",
        help="cnn3d: channels of the two temporal 3D convolutions (default 16,32; narrower is quicker)",
    )
    t.add_argument(
        "--velocity-loss",
        choices=("l1", "l2"),
        default=None,
        help="cnn3d: the velocity's loss, L1 (default: its minimiser is the median) or squared error (the "
        "mean, which the velocity RMSE scores)",
    )
    t.add_argument(
        "--channels-first",
        action="store_true",
        help="cnn3d: feed the network its batches as cut, not channels last (about 1.3 times slower on a "
        "CPU); makes weights trained before 2026-12-05 evening, the shipped ones, again bit for bit",
    )
    t.add_argument(
        "--thin",
        type=int,
        default=1,
        help="cnn3d: hold every K-th map step of each training site in memory (memory ÷ K; stacks then end "
        "on those steps only; --frame-step a multiple of K; default 1: all)",
    )
    t.add_argument(
        "--frames-on-disk",
        action="store_true",
        help="cnn3d: memory-map the training frames from uncompressed copies written beside the sites "
        "(<split>/.frames/, as large as the frames) instead of holding them in memory",
    )
    t.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    t.add_argument(
        "--workers",
        type=int,
        default=0,
        help="cnn3d: processes cutting training crops while the network trains (default 0: none; "
        "the same weights with any number)",
    )
    t.add_argument("--seed", type=seed_type, default=0, help="seed of the sampling and the initial weights")
    t.add_argument("--quiet", action="store_true", help="no progress bar")


def check_dataset_args(args) -> int:
    """The checks every model's dataset shares; returns the number of held-out scenes (default N/4)."""
    from sim.errors import UsageError

    if args.scenes < 1:
        raise UsageError(f"--scenes: must be at least 1, got {args.scenes}")
    heldout = max(1, args.scenes // 4) if args.heldout is None else args.heldout
    if heldout < 1:
        raise UsageError(f"--heldout: must be at least 1, got {heldout}")
    if args.out.exists() and not args.out.is_dir():
        raise UsageError(f"--out: {args.out} exists and is not a directory")
    return heldout


def cmd_dataset(args) -> int:
    from sim.learning.pointnet_dataset import write_dataset

    if args.model == "cnn3d":
        from sim.learning.cnn3d_commands import cmd_dataset_cnn3d

        return cmd_dataset_cnn3d(args)
    heldout = check_dataset_args(args)
    cnn3d_only = {
        "--dense-sites": args.dense_sites or None,
        "--workers": args.workers,
        "--duration": args.duration,
    }
    for flag, value in cnn3d_only.items():
        if value is not None:  # a cnn3d option would be ignored here without a word
            from sim.errors import UsageError

            raise UsageError(f"{flag}: for cnn3d only, got {value:g} for {args.model}")
    manifest = with_bar(
        args,
        args.scenes + heldout,
        "scene",
        lambda update: write_dataset(args.out, args.scenes, args.seed, heldout, update),
    )
    report_dataset(args, manifest, "scene_seeds", "scenes", "points", "labelled points")
    return 0


def with_bar(args, total: int, unit: str, work):
    """`work(update)` under a progress bar of `total` units (update is None without a bar)."""
    bar = progress_bar(args, total, unit)
    try:
        return work(bar.update if bar else None)
    finally:
        if bar:
            bar.close()


def report_dataset(args, manifest: dict, seeds_key: str, noun: str, count_key: str, counted: str) -> None:
    """One line per split (its seed range and size) and where the manifest is, unless --quiet."""
    if args.quiet:
        return
    for split, info in manifest["splits"].items():
        lo, hi = info[seeds_key]
        dense = " and dense {}..{}".format(*info["dense_site_seeds"]) if "dense_site_seeds" in info else ""
        print(f"{split}: {noun} {lo}..{hi}{dense}, {info[count_key]:,} {counted}")
    print(f"dataset: {args.out}/dataset.json")


def check_train_args(args) -> None:
    """The checks every model's training shares: counts, device, output path."""
    from sim.errors import UsageError, require_cuda

    if (args.epochs is not None and args.epochs < 1) or (
        args.steps_per_epoch is not None and args.steps_per_epoch < 1
    ):
        raise UsageError("--epochs and --steps-per-epoch: must be at least 1")
    if args.frame_step is not None and (args.model != "cnn3d" or args.frame_step < 1):
        raise UsageError(
            f"--frame-step: a whole number ≥ 1 for cnn3d only, got {args.frame_step} for {args.model}"
        )
    step = args.frame_step or 1
    if args.thin != 1 and (args.model != "cnn3d" or args.thin < 1 or step % args.thin):
        raise UsageError(
            f"--thin: a divisor of --frame-step ({step}), for cnn3d only; got {args.thin} for {args.model}"
        )
    if args.frames_on_disk and args.model != "cnn3d":
        raise UsageError(f"--frames-on-disk: for cnn3d only, not {args.model}")
    if args.late_groups and (args.model != "cnn3d" or not 0 <= args.late_groups <= 1):
        raise UsageError(
            f"--late-groups: a probability 0 to 1, for cnn3d only; got {args.late_groups} for {args.model}"
        )
    if args.stem_widths is not None and (args.model != "cnn3d" or stem_widths(args.stem_widths) is None):
        raise UsageError(
            f"--stem-widths: two whole numbers ≥ 1 as A,B, for cnn3d only; got {args.stem_widths!r} for "
            f"{args.model}"
        )
    for flag in ("past_velocities", "foreground", "channels_first", "velocity_loss"):
        if getattr(args, flag) and args.model != "cnn3d":
            raise UsageError(f"--{flag.replace('_', '-')}: for cnn3d only, not {args.model}")
    if args.workers and (args.model != "cnn3d" or not 0 <= args.workers <= 64):
        raise UsageError(f"--workers: 0 to 64, for cnn3d only; got {args.workers} for {args.model}")
    if args.device == "cuda":
        require_cuda("--device cuda")
    if args.out.parent and not args.out.parent.is_dir():
        raise UsageError(f"--out: folder {args.out.parent} does not exist")
    if args.out.is_dir():
        raise UsageError(
            f"--out: {args.out} is a directory; give the weights file to write, e.g. {args.out}/w.pt"
        )


def stem_widths(text: str) -> tuple[int, int] | None:
    """`--stem-widths` "A,B" as two channel counts, or None where it is not two whole numbers ≥ 1."""
    parts = text.split(",")
    if len(parts) != 2 or not all(p.strip().isdigit() and int(p) >= 1 for p in parts):
        return None
    return int(parts[0]), int(parts[1])


def damaged(path, e: Exception):
    """The usage error for a dataset file that cannot be read."""
    from sim.errors import UsageError

    why = f"{type(e).__name__}: {e}".splitlines()[0]
    return UsageError(
        f"--data: {path}: damaged dataset file ({why}); delete it and rerun `whsim dataset` to render it "
        "again"
    )


def train_config(args, config):
    """A trainer's config with the command line's seed, and its epochs and batches where given."""
    from dataclasses import replace

    given = {"epochs": args.epochs, "steps_per_epoch": args.steps_per_epoch}
    return replace(config, seed=args.seed, **{k: v for k, v in given.items() if v is not None})


def write_weights(args, model, config, heldout: dict, extra: dict, training_s: float) -> dict:
    """The trained weights at --out (atomically) with their card data — the exact command, the dataset's
    manifest, the training settings and time, the held-out figures — also written beside them as .json."""
    from dataclasses import asdict

    manifest = args.data / "dataset.json"
    meta = extra | {
        "command": f"whsim train {args.model} --data {args.data} --out {args.out} --epochs {config.epochs} "
        f"--steps-per-epoch {config.steps_per_epoch} --device {args.device} --seed {args.seed}"
        + (f" --frame-step {args.frame_step}" if args.frame_step else "")
        + (" --past-velocities" if getattr(args, "past_velocities", False) else "")
        + (" --foreground" if getattr(args, "foreground", False) else "")
        + (" --channels-first" if getattr(args, "channels_first", False) else "")
        + (f" --velocity-loss {args.velocity_loss}" if getattr(args, "velocity_loss", None) else "")
        + (f" --stem-widths {args.stem_widths}" if getattr(args, "stem_widths", None) else "")
        + (f" --late-groups {args.late_groups:g}" if getattr(args, "late_groups", 0) else "")
        + (f" --thin {args.thin}" if args.thin != 1 else "")
        + (" --frames-on-disk" if getattr(args, "frames_on_disk", False) else "")
        + (f" --workers {args.workers}" if args.workers else ""),
        "data": json.loads(manifest.read_text()) if manifest.is_file() else None,
        "train": {k: v for k, v in asdict(config).items() if k != "model"},
        "training_s": round(training_s, 1),
        "heldout": heldout,
    }
    store_weights(model, args.out, meta)
    return meta


def store_weights(model, path, meta: dict) -> None:
    """Weights and their metadata at `path` (atomically), the metadata also beside them as .json."""
    from perception.weights_io import save_weights
    from sim.output.atomic import atomic_write_text

    tmp = path.with_name(path.name + ".tmp")
    save_weights(model, tmp, meta)
    tmp.replace(path)
    atomic_write_text(path.with_suffix(".json"), json.dumps(meta, indent=2) + "\n")


def cmd_train(args) -> int:
    from sim.errors import UsageError

    if args.model == "cnn3d":
        from sim.learning.cnn3d_commands import cmd_train_cnn3d

        return cmd_train_cnn3d(args)
    from sim.learning.pointnet_dataset import OlderDatasetError, load_scans, split_files

    files = {s: split_files(args.data, s) for s in ("train", "heldout")}
    for split, found in files.items():
        if not found:
            raise UsageError(
                f"--data: {args.data}/{split}/ holds no scene-*.npz (make it with `whsim dataset`)"
            )
    check_train_args(args)
    scans: dict[str, list] = {s: [] for s in files}
    for split, found in files.items():
        for f in found:
            try:
                scans[split] += load_scans(f)
            except OlderDatasetError as e:
                raise UsageError(
                    f"--data: {e}; rerun `whsim dataset pointnet --out {args.data}` with the same "
                    "--scenes, --heldout and --seed to render such scenes again"
                ) from None
            except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as e:
                raise damaged(f, e) from None
    return _train(args, scans)


def heldout_figures(miou: float, per_class: dict[int, float], scans: int | None = None) -> dict:
    """Held-out figures as a weights file states them (class names, not ids)."""
    from perception.classes import CLASS_NAMES

    out = {"scans": scans} if scans is not None else {}
    return out | {"miou": miou, "per_class_iou": {CLASS_NAMES[c]: v for c, v in per_class.items()}}


def _train(args, scans) -> int:

    from perception.classes import CLASS_NAMES
    from perception.pointnet_training import TrainConfig, train_pointnet

    config = train_config(args, TrainConfig())
    bar = progress_bar(args, config.epochs * config.steps_per_epoch, "batch")

    def on_epoch(s):
        ious = " ".join(f"{CLASS_NAMES[c]} {v:.2f}" for c, v in s.per_class_iou.items())
        line = (
            f"epoch {s.epoch}/{config.epochs}: loss {s.loss:.3f}, held-out mIoU {s.miou:.3f} ({ious}; "
            f"network alone {s.network_miou:.3f}), {s.seconds:.0f} s"
        )
        (bar.write if bar else print)(line, file=sys.stderr)

    t0 = time.perf_counter()
    try:
        model, history = train_pointnet(
            scans["train"], scans["heldout"], config, args.device,
            on_step=(lambda *_: bar.update(1)) if bar else None, on_epoch=on_epoch,
        )  # fmt: skip
    finally:
        if bar:
            bar.close()
    final = history[-1]
    heldout = heldout_figures(final.miou, final.per_class_iou, len(scans["heldout"]))
    heldout["network"] = heldout_figures(final.network_miou, final.network_per_class_iou)
    meta = write_weights(args, model, config, heldout, {"tile_m": config.tile_m}, time.perf_counter() - t0)
    if not args.quiet:
        print(
            f"{args.out}: held-out mIoU {final.miou:.3f} with the site map, {final.network_miou:.3f} "
            f"network alone, after {meta['training_s']:.0f} s; card data in "
            f"{args.out.with_suffix('.json')}"
        )
    return 0
