"""`whsim dataset cnn3d` and `whsim train cnn3d`."""

from __future__ import annotations

import sys
import time
import zipfile
from dataclasses import replace

from sim.learning.commands import (
    check_dataset_args,
    check_train_args,
    damaged,
    progress_bar,
    report_dataset,
    stem_widths,
    train_config,
    with_bar,
    write_weights,
)


def cmd_dataset_cnn3d(args) -> int:
    from sim.errors import UsageError
    from sim.learning.cnn3d_dataset import write_dataset

    heldout = check_dataset_args(args)
    args.workers = 1 if args.workers is None else args.workers
    args.duration = 30.0 if args.duration is None else args.duration
    if not 1 <= args.workers <= 64:
        raise UsageError(f"--workers: must be 1 to 64, got {args.workers}")
    if not 1.0 <= args.duration <= 3600.0:
        raise UsageError(f"--duration: must be 1 to 3600 s, got {args.duration:g}")
    if args.dense_sites < 0:
        raise UsageError(f"--dense-sites: must be 0 or more, got {args.dense_sites}")
    manifest = with_bar(
        args,
        args.scenes + args.dense_sites + heldout,
        "sequence",
        lambda update: write_dataset(
            args.out, args.scenes, args.seed, heldout, args.duration, args.workers, update, args.dense_sites
        ),
    )
    report_dataset(args, manifest, "site_seeds", "sites", "frames", "frames")
    return 0


def load_split(
    data, split: str, thin: int = 1, window: int = 1, on_disk: bool = False, channels: int | None = None
) -> list:
    """Every site of a split; with `thin` > 1 each holds every `thin`-th frame (`BoxSequence.thinned`),
    cut as it is read so the whole split never sits in memory; `on_disk`: the frames memory-mapped from
    uncompressed copies beside the sites; `channels`: only the frames' first channels (`load_sequence`)."""
    from sim.errors import UsageError
    from sim.learning.cnn3d_dataset import FramesOnDiskError, load_sequence
    from sim.learning.manifest import split_files

    files = split_files(data, split, "site-*.npz")
    if not files:
        raise UsageError(f"--data: {data}/{split}/ holds no site-*.npz (make it with `whsim dataset cnn3d`)")
    out = []
    for f in files:
        try:
            seq = load_sequence(f, on_disk, channels)
        except FramesOnDiskError as e:
            raise UsageError(f"--frames-on-disk: {e}") from None
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as e:
            raise damaged(f, e) from None
        if channels is not None and seq.frames.shape[1] < channels:  # said at the first site, not the last
            raise UsageError(
                f"--foreground: {f} has frames of {seq.frames.shape[1]} channels, not the {channels} it "
                "reads; record the dataset again with `whsim dataset cnn3d`"
            )
        out.append(seq.thinned(thin, window) if thin > 1 else seq)
    return out


def cmd_train_cnn3d(args) -> int:

    from perception.bev_frames import N_CHANNELS
    from perception.cnn3d_training import TrainConfig, train_cnn3d
    from sim.learning.cnn3d_eval import evaluate_sequences

    check_train_args(args)
    config = train_config(args, TrainConfig())
    if args.frame_step is not None:
        config = replace(config, model=replace(config.model, frame_step=args.frame_step))
    if args.past_velocities:
        config = replace(config, model=replace(config.model, past_velocities=True))
    if args.foreground:
        config = replace(config, model=replace(config.model, channels=N_CHANNELS))
    if args.late_groups:
        config = replace(config, late_group_probability=args.late_groups)
    if args.channels_first:
        config = replace(config, channels_last=False)
    if args.stem_widths:
        config = replace(config, model=replace(config.model, widths3d=stem_widths(args.stem_widths)))
    if args.velocity_loss:
        config = replace(config, velocity_loss=args.velocity_loss)
    C = config.model.channels  # a dataset may hold more (the foreground ones): only these are kept
    train = load_split(args.data, "train", args.thin, config.model.window, args.frames_on_disk, C)
    heldout = load_split(args.data, "heldout", on_disk=args.frames_on_disk, channels=C)
    bar = progress_bar(args, config.epochs * config.steps_per_epoch, "batch")

    def on_epoch(s):
        line = (
            f"epoch {s.epoch}/{config.epochs}: loss {s.loss:.3f}, held-out AP@1m {s.ap_seen:.3f} (seen) "
            f"{s.ap_all:.3f} (all), velocity RMSE {s.velocity_rmse:.2f} m/s, {s.seconds:.0f} s"
        )
        (bar.write if bar else print)(line, file=sys.stderr)

    t0 = time.perf_counter()
    try:
        model, history = train_cnn3d(
            train, config, args.device,
            evaluate=lambda m, final: evaluate_sequences(
                m, heldout, 1 if final else config.eval_every_frames, args.device
            ),
            on_step=(lambda *_: bar.update(1)) if bar else None, on_epoch=on_epoch, workers=args.workers,
        )  # fmt: skip
    finally:
        if bar:
            bar.close()
    figures = history[-1].figures
    meta = write_weights(args, model, config, figures, {}, time.perf_counter() - t0)
    if not args.quiet:
        print(
            f"{args.out}: held-out AP@1m {figures['ap_seen']:.3f} over seen actors after "
            f"{meta['training_s']:.0f} s; card data in {args.out.with_suffix('.json')}"
        )
    return 0
