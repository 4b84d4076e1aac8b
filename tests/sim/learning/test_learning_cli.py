"""`whsim dataset` and `whsim train` end to end on a tiny dataset, and their refusals of bad input."""

from __future__ import annotations

import json

import pytest

from perception.pointnet import load_weights
from tests.conftest import scenario_dict, with_lidar, write_scenario
from tests.sim.test_cli import whsim


@pytest.fixture(scope="module")
def tiny_dataset(tmp_path_factory):
    out = tmp_path_factory.mktemp("data")
    r = whsim("dataset", "pointnet", "--scenes", 1, "--heldout", 1, "--out", out, "--seed", 40)
    assert r.returncode == 0, r.stderr
    return out


def test_dataset_writes_both_splits_and_a_manifest(tiny_dataset):
    manifest = json.loads((tiny_dataset / "dataset.json").read_text())
    assert manifest["splits"]["train"]["scene_seeds"] == [40, 40]
    assert manifest["splits"]["heldout"]["scene_seeds"][0] >= 1_000_000
    assert len(list((tiny_dataset / "train").glob("*.npz"))) == 1


def test_train_writes_loadable_weights_that_a_run_uses(tiny_dataset, tmp_path):
    weights = tmp_path / "w.pt"
    r = whsim("train", "pointnet", "--data", tiny_dataset, "--out", weights, "--epochs", 1,
              "--steps-per-epoch", 2, "--quiet")  # fmt: skip
    assert r.returncode == 0, r.stderr
    _, meta = load_weights(weights)
    assert meta["train"]["epochs"] == 1 and 0 <= meta["heldout"]["miou"] <= 1
    assert json.loads(weights.with_suffix(".json").read_text())["tile_m"] == meta["tile_m"]
    scenario = write_scenario(tmp_path, with_lidar(scenario_dict(duration_s=2)))
    out = tmp_path / "run"
    r = whsim("run", scenario, "--strategy", "pointnet", "--set", f"pipeline.pointnet.weights={weights}",
              "--out", out)  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert "point segmentation mIoU" in r.stdout  # the summary says how the clouds were segmented
    seg = json.loads((out / "metrics.json").read_text())["segmentation"]
    assert 0 <= seg["miou"] <= 1 and seg["points"] > 0


@pytest.mark.parametrize(
    "args, needle",
    [
        (("--data", "{tmp}/nothing"), "holds no scene-*.npz"),
        (("--data", "{data}", "--device", "cuda"), "--device cuda"),
        (("--data", "{data}", "--epochs", "0"), "--epochs"),
        (("--data", "{data}", "--out", "{tmp}/no/such/w.pt"), "does not exist"),
        (("--data", "{data}", "--out", "{tmp}"), "is a directory"),
        (("--data", "{data}", "--frame-step", "2"), "cnn3d only"),
        (("--data", "{data}", "--workers", "2"), "cnn3d only"),
        (("--data", "{data}", "--thin", "2"), "cnn3d only"),
        (("--data", "{data}", "--past-velocities"), "cnn3d only"),
        (("--data", "{data}", "--foreground"), "--foreground: for cnn3d only"),
        (("--data", "{data}", "--channels-first"), "--channels-first: for cnn3d only"),
        (("--data", "{data}", "--velocity-loss", "l2"), "--velocity-loss: for cnn3d only"),
        (("--data", "{data}", "--stem-widths", "8,12"), "--stem-widths"),
    ],
)
def test_train_refuses_bad_input_with_one_line(tiny_dataset, tmp_path, args, needle):
    import torch

    if needle == "--device cuda" and torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    fill = {"tmp": tmp_path, "data": tiny_dataset}
    args = [a.format(**fill) for a in args]
    if "--out" not in args:
        args += ["--out", str(tmp_path / "w.pt")]
    r = whsim("train", "pointnet", *args, "--quiet")
    assert r.returncode == 2
    assert needle in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_a_damaged_dataset_file_is_a_usage_error(tiny_dataset, tmp_path):
    import shutil

    data = tmp_path / "data"
    shutil.copytree(tiny_dataset, data)
    victim = next((data / "train").glob("*.npz"))
    victim.write_bytes(victim.read_bytes()[:1000])  # a copy cut short
    r = whsim("train", "pointnet", "--data", data, "--out", tmp_path / "w.pt", "--quiet")
    assert r.returncode == 2 and "damaged dataset file" in r.stderr


def test_a_dataset_from_an_older_whsim_is_a_usage_error_that_says_how_to_renew_it(tiny_dataset, tmp_path):
    import shutil

    import numpy as np

    data = tmp_path / "data"
    shutil.copytree(tiny_dataset, data)
    victim = next((data / "train").glob("*.npz"))
    with np.load(victim) as z:
        old = {k: z[k] for k in z.files if k != "fixed"}  # as written before scans kept the site-map mask
    np.savez(victim, **old)
    r = whsim("train", "pointnet", "--data", data, "--out", tmp_path / "w.pt", "--quiet")
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1
    assert "older whsim" in r.stderr and "whsim dataset pointnet --out" in r.stderr


def test_dataset_renders_again_a_scene_file_that_is_damaged(tmp_path):
    out = tmp_path / "d"
    assert (
        whsim("dataset", "pointnet", "--scenes", 1, "--heldout", 1, "--out", out, "--quiet").returncode == 0
    )
    victim = next((out / "train").glob("*.npz"))
    good = victim.read_bytes()
    victim.write_bytes(good[:1000])
    assert (
        whsim("dataset", "pointnet", "--scenes", 1, "--heldout", 1, "--out", out, "--quiet").returncode == 0
    )
    assert victim.read_bytes() == good


def test_a_run_asking_for_cuda_without_it_is_a_usage_error(tmp_path):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    scenario = write_scenario(tmp_path, with_lidar(scenario_dict(duration_s=1)))
    r = whsim("run", scenario, "--strategy", "pointnet", "--set", "pipeline.pointnet.device=cuda",
              "--out", tmp_path / "run", "--quiet")  # fmt: skip
    assert r.returncode == 2 and "pipeline.pointnet.device" in r.stderr


def test_a_weights_file_that_is_not_one_is_a_usage_error(tmp_path):
    bad = tmp_path / "bad.pt"
    bad.write_text("hello")
    scenario = write_scenario(tmp_path, with_lidar(scenario_dict(duration_s=1)))
    r = whsim("run", scenario, "--strategy", "pointnet", "--set", f"pipeline.pointnet.weights={bad}",
              "--out", tmp_path / "run", "--quiet")  # fmt: skip
    assert r.returncode == 2
    assert "pipeline.pointnet.weights" in r.stderr and "bad.pt" in r.stderr


@pytest.mark.parametrize("flag, value", [("--dense-sites", "1"), ("--workers", "2"), ("--duration", "5")])
def test_cnn3d_dataset_options_are_refused_for_pointnet_before_anything_is_written(tmp_path, flag, value):
    """Each would otherwise be ignored without a word (the PointNet scenes are single shots)."""
    out = tmp_path / "d"
    r = whsim("dataset", "pointnet", "--scenes", 1, flag, value, "--out", out, "--quiet")
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1
    assert f"{flag}: for cnn3d only, got {value} for pointnet" in r.stderr and not out.exists()


def test_pointnet_training_reads_the_scenes_the_manifest_lists(tiny_dataset, tmp_path):
    import json
    import shutil

    from sim.learning.pointnet_dataset import split_files

    data = tmp_path / "d"
    shutil.copytree(tiny_dataset, data)
    listed = split_files(data, "train")
    (data / "train" / "scene-0000099.npz").write_bytes(b"left by an earlier run")
    assert split_files(data, "train") == listed and len(listed) >= 1
    manifest = json.loads((data / "dataset.json").read_text())
    assert [p.name for p in listed] == manifest["splits"]["train"]["files"]
