"""`whsim dataset cnn3d` and `whsim train cnn3d` end to end on a tiny dataset, and their refusals."""

from __future__ import annotations

import json

import numpy as np
import pytest

from perception.bev_frames import FRAME_CHANNELS
from perception.cnn3d_detector import load_cnn3d
from perception.weights import CNN3D
from sim.learning.cnn3d_dataset import load_sequence
from tests.conftest import scenario_dict, write_scenario
from tests.sim.test_cli import whsim


@pytest.fixture(scope="module")
def tiny_sequences(tmp_path_factory):
    out = tmp_path_factory.mktemp("seqs")
    r = whsim("dataset", "cnn3d", "--scenes", 1, "--dense-sites", 1, "--heldout", 1, "--out", out,
              "--seed", 40, "--duration", 2, "--quiet")  # fmt: skip
    assert r.returncode == 0, r.stderr
    return out


def test_dataset_records_frames_and_boxes_of_both_splits(tiny_sequences):
    manifest = json.loads((tiny_sequences / "dataset.json").read_text())
    assert manifest["kind"] == "cnn3d"
    assert manifest["splits"]["train"]["site_seeds"] == [40, 40]
    assert manifest["splits"]["train"]["dense_site_seeds"] == [41, 41]  # after the plain ones
    assert manifest["splits"]["heldout"]["site_seeds"][0] >= 1_000_000
    assert "dense_site_seeds" not in manifest["splits"]["heldout"]
    names = sorted(p.name for p in (tiny_sequences / "train").iterdir())
    assert names == ["site-0000040.npz", "site-0000041-dense.npz"]
    seq = load_sequence(tiny_sequences / "train" / names[0])
    dense = load_sequence(tiny_sequences / "train" / names[1])
    assert seq.frames.shape[0] == dense.frames.shape[0] == 21  # 0 … 2 s every 0.1 s
    assert manifest["splits"]["train"]["frames"] == 42
    assert seq.frames.shape[1] == len(FRAME_CHANNELS) and seq.frames.shape[2:] == seq.grid.shape
    assert len(seq.xy) and set(np.unique(seq.cls)) <= {0, 1, 2}
    assert (seq.frames[:, 7] == seq.frames[0, 7]).all()  # the static map does not move
    assert seq.seen.any()


def test_train_writes_weights_with_held_out_figures_that_a_run_uses(tiny_sequences, tmp_path):
    """Trained with frames two map steps apart (every other step held: `--thin 2`) and the past
    velocities' head, which the weights carry into the loop's frame stack and decoder; batches as cut
    (`--channels-first`), a narrower stem and the velocity's squared error, recorded in the card data."""
    weights = tmp_path / "w.pt"
    r = whsim("train", "cnn3d", "--data", tiny_sequences, "--out", weights, "--epochs", 1,
              "--steps-per-epoch", 2, "--frame-step", 2, "--thin", 2, "--workers", 1, "--past-velocities",
              "--channels-first", "--stem-widths", "8,12", "--velocity-loss", "l2", "--quiet")  # fmt: skip
    assert r.returncode == 0, r.stderr
    model, meta = load_cnn3d(weights)
    assert model.config.frame_step == 2 and model.config.past_velocities and model.config.widths3d == (8, 12)
    assert meta["command"].endswith(
        "--frame-step 2 --past-velocities --channels-first --velocity-loss l2 --stem-widths 8,12 --thin 2 "
        "--workers 1"
    )
    assert meta["train"]["channels_last"] is False and meta["train"]["velocity_loss"] == "l2"
    assert meta["train"]["epochs"] == 1 and 0 <= meta["heldout"]["ap_seen"] <= 1
    assert json.loads(weights.with_suffix(".json").read_text())["heldout"] == meta["heldout"]
    scenario = write_scenario(tmp_path, scenario_dict(duration_s=2))
    for strategy in ("cnn3d-kf",):  # both strategies in the loop: tests/sim/pipeline/test_cnn3d_frontend.py
        out = tmp_path / strategy
        r = whsim("run", scenario, "--strategy", strategy, "--set", f"pipeline.cnn3d.weights={weights}",
                  "--set", "pipeline.cnn3d.threshold=0.01", "--out", out)  # fmt: skip
        assert r.returncode == 0, r.stderr
        assert json.loads((out / "metrics.json").read_text())["strategy"] == strategy
    # Averaged with the shipped network, which reads ten channels to these weights' eight: refused.
    r = whsim("run", scenario, "--strategy", "cnn3d", "--set", f"pipeline.cnn3d.weights=[{weights}, {CNN3D}]",
              "--out", tmp_path / "pair")  # fmt: skip
    assert r.returncode == 2 and "networks averaged must read the same frames" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and not (tmp_path / "pair").exists()


@pytest.mark.parametrize(
    "args, needle",
    [
        (("--data", "{tmp}/nothing"), "holds no site-*.npz"),
        (("--data", "{data}", "--epochs", "0"), "--epochs"),
        (("--data", "{data}", "--frame-step", "0"), "--frame-step"),
        (("--data", "{data}", "--stem-widths", "12"), "--stem-widths"),
        (("--data", "{data}", "--stem-widths", "12,0"), "--stem-widths"),
        (("--data", "{data}", "--workers", "-1"), "--workers"),
        (("--data", "{data}", "--frame-step", "2", "--thin", "3"), "--thin: a divisor of --frame-step (2)"),
        (("--data", "{data}", "--out", "{tmp}"), "is a directory"),
    ],
)
def test_train_refuses_bad_input_with_one_line(tiny_sequences, tmp_path, args, needle):
    fill = {"tmp": tmp_path, "data": tiny_sequences}
    args = [a.format(**fill) for a in args]
    if "--out" not in args:
        args += ["--out", str(tmp_path / "w.pt")]
    r = whsim("train", "cnn3d", *args, "--quiet")
    assert r.returncode == 2
    assert needle in r.stderr and len(r.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    "args, needle",
    [
        (("--workers", "0"), "--workers"),
        (("--duration", "0"), "--duration"),
        (("--dense-sites", "-1"), "--dense-sites"),
    ],
)
def test_dataset_refuses_bad_counts(tmp_path, args, needle):
    r = whsim("dataset", "cnn3d", "--scenes", 1, "--out", tmp_path / "d", *args, "--quiet")
    assert r.returncode == 2 and needle in r.stderr and len(r.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("strategy, key", [("cnn3d-kf", "cnn3d"), ("pointnet", "pointnet")])
def test_bad_weights_are_refused_before_anything_is_written(tmp_path, strategy, key):
    """A missing or foreign weights file is exit 2 naming the setting; an earlier run's files in the
    directory are untouched (they used to be half-replaced, with a temporary file left behind)."""
    from tests.conftest import with_lidar

    scenario = write_scenario(tmp_path, with_lidar(scenario_dict(duration_s=1)))
    out = tmp_path / "run"
    out.mkdir()
    (out / "metrics.json").write_text("{}")
    foreign = tmp_path / "foreign.pt"
    foreign.write_bytes(b"not a checkpoint")
    for weights in (tmp_path / "missing.pt", foreign):
        r = whsim("run", scenario, "--strategy", strategy, "--set", f"pipeline.{key}.weights={weights}",
                  "--out", out, "--overwrite", "--quiet")  # fmt: skip
        assert r.returncode == 2 and f"pipeline.{key}.weights" in r.stderr
        assert len(r.stderr.strip().splitlines()) == 1
        assert sorted(p.name for p in out.iterdir()) == ["metrics.json"]
        assert (out / "metrics.json").read_text() == "{}"


def test_training_reads_the_sites_the_manifest_lists_not_an_earlier_runs_leftovers(tiny_sequences, tmp_path):
    """A rerun with fewer sites (or another seed) into the same folder leaves the earlier files there;
    they used to be read as training data because the loader took every site-*.npz it found."""
    import shutil

    from sim.learning.cnn3d_commands import load_split

    data = tmp_path / "d"
    shutil.copytree(tiny_sequences, data)
    (data / "train" / "site-0000099.npz").write_bytes(b"left by an earlier run")
    manifest = json.loads((data / "dataset.json").read_text())
    assert manifest["splits"]["train"]["files"] == ["site-0000040.npz", "site-0000041-dense.npz"]
    assert len(load_split(data, "train")) == 2
    del manifest["splits"]["train"]["files"]  # a manifest from before the list: every file, as before
    (data / "dataset.json").write_text(json.dumps(manifest))
    r = whsim("train", "cnn3d", "--data", data, "--out", tmp_path / "w.pt", "--quiet")
    assert r.returncode == 2 and "site-0000099.npz: damaged dataset file" in r.stderr


def test_frames_on_disk_are_memory_mapped_and_train_the_same_weights(tiny_sequences, tmp_path):
    """`--frames-on-disk` maps each site's frames from an uncompressed copy beside it instead of holding
    them: the same arrays, the same weights bit for bit (with `--thin` as well); a site file rewritten
    after its copy gets a fresh copy, and a copy that cannot be written is one line, exit 2."""
    import os
    import shutil

    import torch

    from sim.learning.cnn3d_dataset import load_sequence, save_sequence

    data = tmp_path / "d"
    shutil.copytree(tiny_sequences, data)
    site = data / "train" / "site-0000040.npz"
    held, mapped = load_sequence(site), load_sequence(site, on_disk=True)
    copy = data / "train" / ".frames" / "site-0000040.npy"
    assert isinstance(mapped.frames, np.memmap) and copy.is_file()
    for name in ("frames", "frame", "xy", "vel", "seen", "actor"):
        np.testing.assert_array_equal(getattr(mapped, name), getattr(held, name))
    assert isinstance(mapped.thinned(2, 9).frames, np.memmap)  # thinning a mapped site copies nothing
    from dataclasses import replace

    from perception.cnn3d import Cnn3dConfig
    from perception.cnn3d_training import TrainConfig, train_cnn3d
    from sim.learning.cnn3d_commands import load_split

    config = TrainConfig(epochs=1, steps_per_epoch=2, batch=2, crop_cells=32)
    config = replace(config, model=Cnn3dConfig(width2d=8, head_width=8, frame_step=2))
    a, b = (train_cnn3d(load_split(data, "train", 2, 9, on_disk=d), config)[0].state_dict() for d in (0, 1))
    assert all(torch.equal(a[k], b[k]) for k in a)
    # the site rewritten (another recording under the same name): its copy is made again
    other = held.__class__(**{**held.__dict__, "frames": (held.frames + 1).astype(np.float16)})
    save_sequence(site, other)
    os.utime(site, ns=(copy.stat().st_mtime_ns + 10**9,) * 2)
    np.testing.assert_array_equal(load_sequence(site, on_disk=True).frames, other.frames)
    # a copy that cannot be written: a file where its folder should be
    shutil.rmtree(data / "heldout" / ".frames", ignore_errors=True)
    (data / "heldout" / ".frames").write_text("in the way")
    r = whsim("train", "cnn3d", "--data", data, "--out", tmp_path / "w.pt", "--frames-on-disk", "--quiet")
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1
    assert "--frames-on-disk: cannot write" in r.stderr and ".frames" in r.stderr
    assert not (tmp_path / "w.pt").exists()


def test_foreground_weights_read_ten_channels_in_training_and_in_the_loop(tiny_sequences, tmp_path):
    """`--foreground` trains on the frames' two foreground channels too; the weights carry it into the
    loop, whose frames have them. A dataset recorded before they existed is one line, exit 2."""
    from dataclasses import replace

    from sim.learning.cnn3d_dataset import save_sequence

    weights = tmp_path / "w.pt"
    r = whsim("train", "cnn3d", "--data", tiny_sequences, "--out", weights, "--epochs", 1,
              "--steps-per-epoch", 2, "--foreground", "--quiet")  # fmt: skip
    assert r.returncode == 0, r.stderr
    model, meta = load_cnn3d(weights)
    assert model.config.channels == len(FRAME_CHANNELS) and meta["command"].endswith("--foreground")
    out = tmp_path / "run"
    r = whsim("run", write_scenario(tmp_path, scenario_dict(duration_s=1)), "--strategy", "cnn3d",
              "--set", f"pipeline.cnn3d.weights={weights}", "--out", out)  # fmt: skip
    assert r.returncode == 0, r.stderr
    import shutil

    from sim.learning.cnn3d_commands import load_split

    data = tmp_path / "d"  # a copy: the mapped frames are written beside the sites
    shutil.copytree(tiny_sequences, data)
    whole = load_split(data, "train")
    for on_disk in (False, True):  # eight-channel weights keep only the frames' first eight
        for a, b in zip(load_split(data, "train", on_disk=on_disk, channels=8), whole, strict=True):
            assert a.frames.shape[1] == 8 and np.array_equal(a.frames, b.frames[:, :8])
    old = tmp_path / "old"
    for split in ("train", "heldout"):
        (old / split).mkdir(parents=True)
        for f in (tiny_sequences / split).glob("site-*.npz"):
            seq = load_sequence(f)
            save_sequence(old / split / f.name, replace(seq, frames=seq.frames[:, :8]))
    r = whsim("train", "cnn3d", "--data", old, "--out", tmp_path / "w2.pt", "--foreground", "--quiet")
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert "--foreground:" in r.stderr and "frames of 8 channels" in r.stderr
    assert not (tmp_path / "w2.pt").exists()
